package dev.ember.runtime.codec.openai;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.UUID;

/**
 * OpenAI's completion answers, whole ({@code text_completion}, {@code chat.completion}) and as stream chunks
 * ({@code text_completion} / {@code chat.completion.chunk}), for one generation: one choice, index 0. The id and
 * creation time are the same in every chunk of a stream, as OpenAI's are.
 */
public final class CompletionBodies {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    private final boolean chat;
    private final String id;
    private final long created;
    private final String model;
    private final boolean includeUsage;

    public CompletionBodies(boolean chat, String model, boolean includeUsage) {
        this(chat, (chat ? "chatcmpl-" : "cmpl-") + UUID.randomUUID().toString().replace("-", ""),
                System.currentTimeMillis() / 1000, model, includeUsage);
    }

    CompletionBodies(boolean chat, String id, long created, String model, boolean includeUsage) {
        this.chat = chat;
        this.id = id;
        this.created = created;
        this.model = model;
        this.includeUsage = includeUsage;
    }

    public String id() {
        return id;
    }

    public boolean includeUsage() {
        return includeUsage;
    }

    /** The whole answer. */
    public byte[] completion(String text, String finishReason, int promptTokens, int completionTokens) {
        ObjectNode choice = NODES.objectNode().put("index", 0);
        if (chat) {
            choice.putObject("message").put("role", "assistant").put("content", text);
        } else {
            choice.put("text", text);
            choice.putNull("logprobs");
        }
        choice.put("finish_reason", finishReason);
        ObjectNode body = head(chat ? "chat.completion" : "text_completion");
        body.putArray("choices").add(choice);
        body.set("usage", usage(promptTokens, completionTokens));
        return bytes(body);
    }

    /** The first chunk of a chat stream: the assistant's role and no text; a completions stream has none. */
    public byte[] roleChunk() {
        ObjectNode delta = NODES.objectNode().put("role", "assistant").put("content", "");
        return chunk(choice(delta, null));
    }

    /** A chunk of new text. */
    public byte[] textChunk(String text) {
        return chunk(choice(chat ? NODES.objectNode().put("content", text) : null, text, null));
    }

    /** The chunk that says why the generation ended: an empty delta (chat) or no text (completions). */
    public byte[] finishChunk(String finishReason) {
        return chunk(choice(chat ? NODES.objectNode() : null, "", finishReason));
    }

    /** With {@code include_usage}: the last chunk, no choices and the token counts. */
    public byte[] usageChunk(int promptTokens, int completionTokens) {
        ObjectNode body = head(chat ? "chat.completion.chunk" : "text_completion");
        body.putArray("choices");
        body.set("usage", usage(promptTokens, completionTokens));
        return bytes(body);
    }

    private ObjectNode choice(ObjectNode delta, String finishReason) {
        return choice(delta, "", finishReason);
    }

    private ObjectNode choice(ObjectNode delta, String text, String finishReason) {
        ObjectNode choice = NODES.objectNode().put("index", 0);
        if (chat) {
            choice.set("delta", delta);
        } else {
            choice.put("text", text);
            choice.putNull("logprobs");
        }
        choice.put("finish_reason", finishReason);
        return choice;
    }

    private byte[] chunk(ObjectNode choice) {
        ObjectNode body = head(chat ? "chat.completion.chunk" : "text_completion");
        ArrayNode choices = body.putArray("choices");
        choices.add(choice);
        if (includeUsage) {
            // OpenAI: with include_usage every chunk carries "usage": null but the last
            body.putNull("usage");
        }
        return bytes(body);
    }

    private ObjectNode head(String object) {
        return NODES.objectNode().put("id", id).put("object", object).put("created", created).put("model", model);
    }

    private static ObjectNode usage(int promptTokens, int completionTokens) {
        return NODES.objectNode().put("prompt_tokens", promptTokens).put("completion_tokens", completionTokens)
                .put("total_tokens", promptTokens + completionTokens);
    }

    /** An error event of a stream: OpenAI's error body. */
    public static byte[] error(int status, String message) {
        return bytes(OpenAiErrors.body(status, message));
    }

    static byte[] bytes(Object body) {
        try {
            return JSON.writeValueAsBytes(body);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("an OpenAI body is not serialisable", e);
        }
    }
}
