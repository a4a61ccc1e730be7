package dev.ember.runtime.generate;

/**
 * A finished generation.
 *
 * @param text the completion, stop string excluded
 * @param promptTokens tokens of the prompt as the model saw it (the chat template rendered)
 * @param completionTokens tokens generated, a stop string's tokens and an end-of-sequence token included
 */
public record GenerationResult(String text, FinishReason finishReason, int promptTokens, int completionTokens) {
}
