package dev.ember.runtime.api;

import java.util.ArrayList;
import java.util.List;
import java.util.OptionalDouble;
import java.util.OptionalInt;
import java.util.OptionalLong;

/**
 * One text generation as the runtime runs it, whichever protocol asked for it: a {@code prompt}, or chat
 * {@code messages} that the model's chat template renders. An absent sampling value takes the model's
 * {@code generation_config.json}, then OpenAI's default. Validated by the runtime (a field the model cannot honour
 * is {@link InvalidInputException} naming it).
 *
 * @param prompt the text to continue; null when {@code messages} is given
 * @param messages the chat to answer; empty when {@code prompt} is given
 * @param maxTokens at most this many new tokens; absent = up to the model's context
 * @param temperature 0 = greedy
 * @param topP nucleus sampling mass, in (0, 1]
 * @param seed makes sampling repeatable: the same tokens alone or in any batch
 * @param stop strings that end the generation; the text returned stops before the first one
 * @param logitsProcessors applied in order to each step's logits, before sampling
 */
public record GenerationRequest(String prompt, List<ChatMessage> messages, OptionalInt maxTokens,
        OptionalDouble temperature, OptionalDouble topP, OptionalLong seed, List<String> stop,
        List<LogitsProcessor> logitsProcessors) {

    public GenerationRequest {
        messages = List.copyOf(messages);
        stop = List.copyOf(stop);
        logitsProcessors = List.copyOf(logitsProcessors);
    }

    public static GenerationRequest ofPrompt(String prompt) {
        return new GenerationRequest(prompt, List.of(), OptionalInt.empty(), OptionalDouble.empty(),
                OptionalDouble.empty(), OptionalLong.empty(), List.of(), List.of());
    }

    public static GenerationRequest ofMessages(List<ChatMessage> messages) {
        return new GenerationRequest(null, messages, OptionalInt.empty(), OptionalDouble.empty(),
                OptionalDouble.empty(), OptionalLong.empty(), List.of(), List.of());
    }

    public boolean chat() {
        return prompt == null;
    }

    public GenerationRequest withPrompt(String newPrompt) {
        return new GenerationRequest(newPrompt, List.of(), maxTokens, temperature, topP, seed, stop,
                logitsProcessors);
    }

    public GenerationRequest withMaxTokens(int n) {
        return new GenerationRequest(prompt, messages, OptionalInt.of(n), temperature, topP, seed, stop,
                logitsProcessors);
    }

    public GenerationRequest withSampling(OptionalDouble newTemperature, OptionalDouble newTopP,
            OptionalLong newSeed) {
        return new GenerationRequest(prompt, messages, maxTokens, newTemperature, newTopP, newSeed, stop,
                logitsProcessors);
    }

    public GenerationRequest withStop(List<String> more) {
        List<String> all = new ArrayList<>(stop);
        all.addAll(more);
        return new GenerationRequest(prompt, messages, maxTokens, temperature, topP, seed, all, logitsProcessors);
    }

    public GenerationRequest withProcessor(LogitsProcessor processor) {
        List<LogitsProcessor> all = new ArrayList<>(logitsProcessors);
        all.add(processor);
        return new GenerationRequest(prompt, messages, maxTokens, temperature, topP, seed, stop, all);
    }
}
