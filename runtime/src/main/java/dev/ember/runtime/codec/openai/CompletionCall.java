package dev.ember.runtime.codec.openai;

import dev.ember.runtime.api.GenerationRequest;
import dev.ember.runtime.api.InvalidInputException;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/**
 * An OpenAI completions or chat completions request, read and validated: the generator it names, the generation
 * to run and how to answer it.
 *
 * @param chat {@code /v1/chat/completions} (messages) rather than {@code /v1/completions} (a prompt)
 * @param model the generator function
 * @param stream answer with server-sent events
 * @param includeUsage {@code stream_options.include_usage}: a last chunk with the token counts
 * @param maxTokensField the field the client gave the token limit in: {@code max_tokens}, or
 *        {@code max_completion_tokens} on a chat request that sent it
 */
public record CompletionCall(boolean chat, String model, GenerationRequest request, boolean stream,
        boolean includeUsage, String maxTokensField) {

    /** How the engine's messages name the limit, OpenAI's quoting of a field first. */
    private static final String ENGINE_FIELD = "'max_tokens'";

    /**
     * The admission of this call's generation, its refusals named as the client sent them: the engine knows the
     * limit only as {@code max_tokens}, so a refusal of it names {@code max_completion_tokens} (message and so
     * OpenAI's {@code param}) when that is what the request used.
     */
    public <T> CompletableFuture<T> asSent(CompletableFuture<T> admitted) {
        if (!renames()) {
            return admitted;
        }
        return admitted.exceptionallyCompose(failure -> CompletableFuture.failedFuture(asSent(failure)));
    }

    /** {@code failure} with a message that names {@code max_tokens} first renamed to {@link #maxTokensField}. */
    public Throwable asSent(Throwable failure) {
        Throwable cause = failure instanceof CompletionException && failure.getCause() != null
                ? failure.getCause() : failure;
        if (cause instanceof InvalidInputException && cause.getMessage() != null
                && cause.getMessage().startsWith(ENGINE_FIELD) && renames()) {
            return new InvalidInputException("'" + maxTokensField + "'"
                    + cause.getMessage().substring(ENGINE_FIELD.length()));
        }
        return failure;
    }

    private boolean renames() {
        return !ENGINE_FIELD.equals("'" + maxTokensField + "'");
    }
}
