package dev.ember.runtime.api;

/**
 * A Java function that wraps a generator model, as a CDI bean: its model (a decoder directory) is configured under
 * {@code ember.functions.<name>.model}. It may shape each request before it runs (rewrite the prompt or messages,
 * add stop strings, add logits processors); the runtime owns tokenising, the KV cache, scheduling and sampling.
 */
public interface GeneratorFunction {

    /** The function's name: the {@code model} of an OpenAI request and the key of its configuration. */
    String name();

    /** The request to run instead of {@code request}; throws {@link InvalidInputException} for bad input. */
    default GenerationRequest shape(GenerationRequest request) {
        return request;
    }
}
