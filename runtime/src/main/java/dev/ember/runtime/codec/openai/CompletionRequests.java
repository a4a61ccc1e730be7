package dev.ember.runtime.codec.openai;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.ember.runtime.api.ChatMessage;
import dev.ember.runtime.api.GenerationRequest;
import dev.ember.runtime.api.InvalidInputException;
import dev.ember.runtime.api.LogitsProcessor;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.Set;

/**
 * Reads OpenAI's {@code /v1/completions} and {@code /v1/chat/completions} request bodies (already parsed under the
 * request limits) into a {@link CompletionCall}. Every refusal is an {@link InvalidInputException} whose message
 * starts with the field it is about (OpenAI's {@code param}) and says the rule, never the value. A null field is an
 * absent one and unknown fields are ignored, as OpenAI does.
 */
public final class CompletionRequests {

    /** OpenAI's own limit on stop sequences. */
    public static final int MAX_STOP = 4;
    /** More new tokens than any model's context holds: refused at once rather than cut. */
    public static final int MAX_TOKENS = 1 << 20;
    /** More biased tokens than any sensible request: each one costs every step of the sequence. */
    public static final int MAX_LOGIT_BIAS = 1024;
    static final Set<String> ROLES = Set.of("system", "user", "assistant", "tool");

    private CompletionRequests() {
    }

    /** {@code POST /v1/completions}: {@code prompt} is one string. */
    public static CompletionCall completion(JsonNode body) {
        JsonNode root = object(body);
        String model = model(root);
        JsonNode prompt = present(root, "prompt");
        String text;
        if (prompt == null) {
            throw new InvalidInputException("'prompt' is required: the text to continue, a string");
        } else if (prompt.isTextual()) {
            text = prompt.textValue();
        } else if (prompt.isArray() && prompt.size() == 1 && prompt.get(0).isTextual()) {
            // a list of one prompt is what some clients send for one prompt
            text = prompt.get(0).textValue();
        } else if (prompt.isArray()) {
            throw new InvalidInputException("'prompt' must be one string: several prompts in a list and token-id"
                    + " arrays are not supported");
        } else {
            throw new InvalidInputException("'prompt' must be a string");
        }
        OptionalInt maxTokens = maxTokens(root, "max_tokens");
        return call(false, model, root, text, List.of(), maxTokens, "max_tokens");
    }

    /** {@code POST /v1/chat/completions}: {@code messages} with a role and a text content each. */
    public static CompletionCall chat(JsonNode body) {
        JsonNode root = object(body);
        String model = model(root);
        JsonNode messages = present(root, "messages");
        if (messages == null) {
            throw new InvalidInputException("'messages' is required: a non-empty array of {role, content}");
        }
        if (!messages.isArray()) {
            throw new InvalidInputException("'messages' must be an array of {role, content}");
        }
        if (messages.isEmpty()) {
            throw new InvalidInputException("'messages' is empty: send at least one message");
        }
        List<ChatMessage> chat = new ArrayList<>(messages.size());
        for (int i = 0; i < messages.size(); i++) {
            chat.add(message(messages.get(i), "messages[" + i + "]"));
        }
        // max_completion_tokens is the newer name; it wins when both are given
        String field = "max_completion_tokens";
        OptionalInt maxTokens = maxTokens(root, field);
        if (maxTokens.isEmpty()) {
            field = "max_tokens";
            maxTokens = maxTokens(root, field);
        }
        return call(true, model, root, null, chat, maxTokens, field);
    }

    /**
     * The data of a CloudEvent routed to generator {@code function}: a chat completions request when it has
     * {@code messages}, else a completions request. The route names the function, so {@code model} may be left out
     * (and is taken as the function); the reply is one event, so {@code stream} must not be true.
     */
    public static CompletionCall event(JsonNode data, String function) {
        ObjectNode root = object(data).deepCopy();
        root.put("model", function);
        CompletionCall call = root.has("messages") ? chat(root) : completion(root);
        if (call.stream()) {
            throw new InvalidInputException("'stream' must be false: an event gets one reply event, not a stream");
        }
        return call;
    }

    private static CompletionCall call(boolean chat, String model, JsonNode root, String prompt,
            List<ChatMessage> messages, OptionalInt maxTokens, String maxTokensField) {
        OptionalDouble temperature = number(root, "temperature", 0, 2, true);
        OptionalDouble topP = number(root, "top_p", 0, 1, false);
        OptionalLong seed = seed(root);
        List<String> stop = stop(root);
        List<LogitsProcessor> processors = logitBias(root).<List<LogitsProcessor>>map(List::of).orElse(List.of());
        n(root);
        boolean stream = bool(root, "stream");
        boolean includeUsage = false;
        JsonNode options = present(root, "stream_options");
        if (options != null) {
            if (!options.isObject()) {
                throw new InvalidInputException("'stream_options' must be an object");
            }
            includeUsage = bool(options, "include_usage", "stream_options.include_usage");
        }
        GenerationRequest request = new GenerationRequest(prompt, messages, maxTokens, temperature, topP, seed, stop,
                processors);
        return new CompletionCall(chat, model, request, stream, includeUsage, maxTokensField);
    }

    private static JsonNode object(JsonNode body) {
        if (body == null || !body.isObject()) {
            throw new InvalidInputException("the request body must be a JSON object");
        }
        return body;
    }

    /** The field's value; null when it is absent or JSON null. */
    static JsonNode present(JsonNode node, String field) {
        JsonNode v = node.get(field);
        return v == null || v.isNull() ? null : v;
    }

    private static String model(JsonNode root) {
        JsonNode model = present(root, "model");
        if (model == null) {
            throw new InvalidInputException("'model' is required: the name of a generator function");
        }
        if (!model.isTextual() || model.textValue().isBlank()) {
            throw new InvalidInputException("'model' must be a non-empty string: the name of a generator function");
        }
        return model.textValue();
    }

    private static ChatMessage message(JsonNode m, String at) {
        if (!m.isObject()) {
            throw new InvalidInputException("'" + at + "' must be an object with 'role' and 'content'");
        }
        JsonNode role = present(m, "role");
        if (role == null) {
            throw new InvalidInputException("'" + at + ".role' is required: one of " + roles());
        }
        if (!role.isTextual()) {
            throw new InvalidInputException("'" + at + ".role' must be a string: one of " + roles());
        }
        // "developer" is OpenAI's newer name for the system message; templates know "system"
        String name = role.textValue().equals("developer") ? "system" : role.textValue();
        if (!ROLES.contains(name)) {
            throw new InvalidInputException("'" + at + ".role' must be one of " + roles());
        }
        JsonNode content = present(m, "content");
        if (content == null) {
            throw new InvalidInputException("'" + at + ".content' is required: a string or an array of text parts");
        }
        if (content.isTextual()) {
            return new ChatMessage(name, content.textValue());
        }
        if (!content.isArray()) {
            throw new InvalidInputException("'" + at + ".content' must be a string or an array of text parts");
        }
        StringBuilder text = new StringBuilder();
        for (int j = 0; j < content.size(); j++) {
            JsonNode part = content.get(j);
            String partAt = at + ".content[" + j + "]";
            if (!part.isObject()) {
                throw new InvalidInputException("'" + partAt + "' must be an object {type: \"text\", text}");
            }
            JsonNode type = present(part, "type");
            if (type == null || !type.isTextual() || !type.textValue().equals("text")) {
                throw new InvalidInputException("'" + partAt + ".type' must be \"text\": only text parts are"
                        + " supported");
            }
            JsonNode value = present(part, "text");
            if (value == null || !value.isTextual()) {
                throw new InvalidInputException("'" + partAt + ".text' is required: a string");
            }
            if (j > 0) {
                text.append('\n');
            }
            text.append(value.textValue());
        }
        return new ChatMessage(name, text.toString());
    }

    private static String roles() {
        return "\"system\", \"user\", \"assistant\", \"tool\" (\"developer\" is taken as \"system\")";
    }

    private static OptionalInt maxTokens(JsonNode root, String field) {
        JsonNode v = present(root, field);
        if (v == null) {
            return OptionalInt.empty();
        }
        String rule = "'" + field + "' must be an integer in [1, " + MAX_TOKENS + "]";
        if (!v.isNumber() || !v.canConvertToExactIntegral()) {
            throw new InvalidInputException(rule);
        }
        BigDecimal n = v.decimalValue();
        if (n.signum() <= 0 || n.compareTo(BigDecimal.valueOf(MAX_TOKENS)) > 0) {
            throw new InvalidInputException(rule);
        }
        return OptionalInt.of(n.intValueExact());
    }

    private static OptionalDouble number(JsonNode root, String field, double min, double max, boolean minIncluded) {
        JsonNode v = present(root, field);
        if (v == null) {
            return OptionalDouble.empty();
        }
        String rule = "'" + field + "' must be a number in " + (minIncluded ? "[" : "(") + fmt(min) + ", " + fmt(max)
                + "]";
        if (!v.isNumber()) {
            throw new InvalidInputException(rule);
        }
        double d = v.doubleValue();
        if (!Double.isFinite(d) || d > max || d < min || (!minIncluded && d == min)) {
            throw new InvalidInputException(rule);
        }
        return OptionalDouble.of(d);
    }

    private static String fmt(double d) {
        return d == Math.rint(d) ? String.valueOf((long) d) : String.valueOf(d);
    }

    private static OptionalLong seed(JsonNode root) {
        JsonNode v = present(root, "seed");
        if (v == null) {
            return OptionalLong.empty();
        }
        if (!v.isNumber() || !v.canConvertToExactIntegral() || !v.canConvertToLong()) {
            throw new InvalidInputException("'seed' must be an integer in [" + Long.MIN_VALUE + ", " + Long.MAX_VALUE
                    + "]");
        }
        return OptionalLong.of(v.longValue());
    }

    private static List<String> stop(JsonNode root) {
        JsonNode v = present(root, "stop");
        if (v == null) {
            return List.of();
        }
        if (v.isTextual()) {
            if (v.textValue().isEmpty()) {
                throw new InvalidInputException("'stop' must not be an empty string");
            }
            return List.of(v.textValue());
        }
        if (!v.isArray()) {
            throw new InvalidInputException("'stop' must be a string or an array of at most " + MAX_STOP + " strings");
        }
        if (v.size() > MAX_STOP) {
            throw new InvalidInputException("'stop' has more than " + MAX_STOP + " sequences");
        }
        List<String> stop = new ArrayList<>(v.size());
        for (int i = 0; i < v.size(); i++) {
            JsonNode s = v.get(i);
            if (!s.isTextual() || s.textValue().isEmpty()) {
                throw new InvalidInputException("'stop[" + i + "]' must be a non-empty string");
            }
            stop.add(s.textValue());
        }
        return stop;
    }

    private static java.util.Optional<LogitBias> logitBias(JsonNode root) {
        JsonNode v = present(root, "logit_bias");
        if (v == null) {
            return java.util.Optional.empty();
        }
        if (!v.isObject()) {
            throw new InvalidInputException("'logit_bias' must be an object from token ids to numbers in [-100, 100]");
        }
        if (v.size() > MAX_LOGIT_BIAS) {
            throw new InvalidInputException("'logit_bias' has more than " + MAX_LOGIT_BIAS + " tokens");
        }
        Map<Integer, Float> bias = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = v.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            int token = tokenId(e.getKey());
            JsonNode b = e.getValue();
            if (!b.isNumber() || !Double.isFinite(b.doubleValue()) || Math.abs(b.doubleValue()) > 100) {
                throw new InvalidInputException("'logit_bias' values must be numbers in [-100, 100]");
            }
            bias.put(token, b.floatValue());
        }
        return bias.isEmpty() ? java.util.Optional.empty() : java.util.Optional.of(new LogitBias(bias));
    }

    private static int tokenId(String key) {
        // digits only: no sign, no spaces, no exponent; the value is never echoed
        if (key.isEmpty() || key.length() > 10 || !key.chars().allMatch(c -> c >= '0' && c <= '9')) {
            throw new InvalidInputException("'logit_bias' keys must be token ids: non-negative integers as strings");
        }
        long id = Long.parseLong(key);
        if (id > Integer.MAX_VALUE) {
            throw new InvalidInputException("'logit_bias' keys must be token ids: non-negative integers as strings");
        }
        return (int) id;
    }

    private static void n(JsonNode root) {
        JsonNode v = present(root, "n");
        if (v != null && !(v.isNumber() && v.canConvertToExactIntegral() && v.decimalValue().compareTo(BigDecimal.ONE) == 0)) {
            throw new InvalidInputException("'n' must be 1: one choice per request is supported");
        }
    }

    private static boolean bool(JsonNode node, String field) {
        return bool(node, field, field);
    }

    private static boolean bool(JsonNode node, String field, String name) {
        JsonNode v = present(node, field);
        if (v == null) {
            return false;
        }
        if (!v.isBoolean()) {
            throw new InvalidInputException("'" + name + "' must be true or false");
        }
        return v.booleanValue();
    }
}
