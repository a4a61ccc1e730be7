package dev.ember.runtime.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

/** The OpenAI embeddings response. */
public record EmbeddingResponse(
        @JsonProperty("object") String object,
        @JsonProperty("data") List<Item> data,
        @JsonProperty("model") String model,
        @JsonProperty("usage") Usage usage) {

    /** One embedding: a float array, or base64 of little-endian float32; {@code truncated} only when the text was cut. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Item(
            @JsonProperty("object") String object,
            @JsonProperty("index") int index,
            @JsonProperty("embedding") Object embedding,
            @JsonProperty("truncated") Boolean truncated) {
    }

    public record Usage(@JsonProperty("prompt_tokens") long promptTokens, @JsonProperty("total_tokens") long totalTokens) {
    }

    public static EmbeddingResponse of(String model, List<float[]> vectors, List<Boolean> truncated, boolean base64,
            long tokens) {
        List<Item> items = new ArrayList<>(vectors.size());
        for (int i = 0; i < vectors.size(); i++) {
            Object embedding = base64 ? encode(vectors.get(i)) : vectors.get(i);
            items.add(new Item("embedding", i, embedding, truncated.get(i) ? Boolean.TRUE : null));
        }
        return new EmbeddingResponse("list", items, model, new Usage(tokens, tokens));
    }

    private static String encode(float[] vector) {
        ByteBuffer bytes = ByteBuffer.allocate(vector.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        bytes.asFloatBuffer().put(vector);
        return Base64.getEncoder().encodeToString(bytes.array());
    }
}
