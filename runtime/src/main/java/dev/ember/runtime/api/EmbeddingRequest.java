package dev.ember.runtime.api;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.JsonNode;

import java.util.ArrayList;
import java.util.List;

/**
 * The OpenAI embeddings request, so existing OpenAI clients work unchanged. {@code input} stays a JSON node so that
 * a wrong type gets an error naming the item rather than a generic deserialisation failure.
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record EmbeddingRequest(
        @JsonProperty("input") JsonNode input,
        @JsonProperty("model") String model,
        @JsonProperty("encoding_format") String encodingFormat,
        @JsonProperty("dimensions") Integer dimensions,
        @JsonProperty("user") String user) {

    /** The texts to embed, validated: a string or a non-empty array of strings. */
    public List<String> texts(int maxTexts) {
        if (input == null || input.isNull()) {
            throw new InvalidInputException("'input' is required: a string or an array of strings");
        }
        if (input.isTextual()) {
            return List.of(input.textValue());
        }
        if (!input.isArray()) {
            throw new InvalidInputException("'input' must be a string or an array of strings, not " + input.getNodeType());
        }
        if (input.isEmpty()) {
            throw new InvalidInputException("'input' is an empty list");
        }
        if (input.size() > maxTexts) {
            throw new PayloadTooLargeException("'input' has " + input.size() + " items, more than the limit of "
                    + maxTexts + " (ember.limits.max-embedding-inputs)");
        }
        List<String> texts = new ArrayList<>(input.size());
        for (int i = 0; i < input.size(); i++) {
            JsonNode item = input.get(i);
            if (!item.isTextual()) {
                throw new InvalidInputException("'input[" + i + "]' must be a string, not " + item.getNodeType());
            }
            texts.add(item.textValue());
        }
        return texts;
    }

    public boolean base64() {
        if (encodingFormat == null || encodingFormat.equals("float")) {
            return false;
        }
        if (encodingFormat.equals("base64")) {
            return true;
        }
        throw new InvalidInputException("'encoding_format' must be \"float\" or \"base64\"");
    }

    /** Checks {@code dimensions} against the one size the model produces. */
    public void requireDimensions(int produced) {
        if (dimensions != null && dimensions != produced) {
            throw new InvalidInputException("'dimensions' " + dimensions + " is not supported: this model produces "
                    + produced + " dimensions");
        }
    }
}
