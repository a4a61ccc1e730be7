package dev.ember.runtime.codec;

import dev.ember.runtime.codec.openai.OpenAiErrors;

import java.util.Map;

/**
 * The JSON body of an error, by where the request went: OpenAI's shape on {@code /v1/*}, so that OpenAI clients read
 * it, and {@code {"error": "..."}} everywhere else. One place, so that JAX-RS, the route filters and the router agree.
 */
public final class ErrorBodies {

    private ErrorBodies() {
    }

    public static Map<String, Object> of(String path, int status, String message) {
        return openAi(path) ? OpenAiErrors.body(status, message) : Map.of("error", message);
    }

    /** Whether {@code path} is one of the OpenAI-compatible endpoints. */
    public static boolean openAi(String path) {
        return path != null && (path.equals("/v1") || path.startsWith("/v1/"));
    }
}
