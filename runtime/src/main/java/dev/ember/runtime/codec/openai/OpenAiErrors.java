package dev.ember.runtime.codec.openai;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * OpenAI's error body, {@code {"error": {"message", "type", "param", "code"}}}, for every {@code /v1/*} answer that is
 * not a success, the error event of a stream included. The type follows the status (OpenAI's SDKs raise by status and
 * show the message); {@code param} is the field the message names first, since Ember's messages start with it.
 */
public final class OpenAiErrors {

    /** A message that starts by naming a field: {@code 'max_tokens' must be...} or {@code field 'a.b' must be...}. */
    private static final Pattern FIELD = Pattern.compile("^(?:field )?'([A-Za-z_][A-Za-z0-9_.\\[\\]]*)'");

    private OpenAiErrors() {
    }

    /** The body for an answer of {@code status} with {@code message}, its {@code param} read from the message. */
    public static Map<String, Object> body(int status, String message) {
        return body(status, message, param(status, message));
    }

    public static Map<String, Object> body(int status, String message, String param) {
        Map<String, Object> error = new LinkedHashMap<>();
        error.put("message", message);
        error.put("type", type(status));
        error.put("param", param);
        error.put("code", code(status));
        return Map.of("error", error);
    }

    /** {@code invalid_request_error} for a client error, {@code server_error} for the rest. */
    public static String type(int status) {
        if (status == 401) {
            return "authentication_error";
        }
        if (status == 403) {
            return "permission_error";
        }
        return status >= 400 && status < 500 ? "invalid_request_error" : "server_error";
    }

    /** A short machine-readable code for the status, as OpenAI gives one beside the type. */
    public static String code(int status) {
        return switch (status) {
            case 400 -> "invalid_value";
            case 401 -> "invalid_api_key";
            case 403 -> "forbidden";
            case 404 -> "not_found";
            case 405 -> "method_not_allowed";
            case 409 -> "conflict";
            case 413 -> "payload_too_large";
            case 415 -> "unsupported_media_type";
            case 503 -> "unavailable";
            case 504 -> "timeout";
            default -> status >= 500 ? "internal_error" : null;
        };
    }

    /** The field a client error's message names first, or null (a 5xx names none). */
    static String param(int status, String message) {
        if (message == null || status >= 500) {
            return null;
        }
        Matcher m = FIELD.matcher(message);
        return m.find() ? m.group(1) : null;
    }
}
