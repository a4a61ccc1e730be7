package dev.ember.runtime.codec.openai;

import dev.ember.runtime.api.GenerationRequest;

/**
 * An OpenAI completions or chat completions request, read and validated: the generator it names, the generation
 * to run and how to answer it.
 *
 * @param chat {@code /v1/chat/completions} (messages) rather than {@code /v1/completions} (a prompt)
 * @param model the generator function
 * @param stream answer with server-sent events
 * @param includeUsage {@code stream_options.include_usage}: a last chunk with the token counts
 */
public record CompletionCall(boolean chat, String model, GenerationRequest request, boolean stream,
        boolean includeUsage) {
}
