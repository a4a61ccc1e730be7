package dev.ember.runtime.http;

import dev.ember.runtime.codec.JsonBodies;
import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.DictionaryEntries;
import com.code_intelligence.jazzer.junit.FuzzTest;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ember.runtime.api.EmbeddingRequest;
import dev.ember.runtime.api.InvalidInputException;
import dev.ember.runtime.api.PayloadTooLargeException;
import dev.ember.runtime.config.TestConfig;
import dev.ember.runtime.testing.TestBeans;
import java.util.List;
import java.util.Map;

/**
 * Fuzzes the {@code embed} request the way the endpoint reads it (the JSON body under the request limits, then the
 * texts, the encoding and the dimensions): every body either yields valid texts or is refused with a 400 or 413
 * exception; nothing else escapes.
 */
class EmbeddingRequestFuzzTest {

    static final JsonBodies JSON = TestBeans.create(JsonBodies.class, new ObjectMapper(), TestConfig.ember(Map.of(
            "ember.limits.max-json-depth", "16", "ember.limits.max-string-length", "256")));
    static final int MAX_INPUTS = 8;

    @FuzzTest(maxDuration = "5m")
    @DictionaryEntries({"{\"input\":", "\"model\":", "\"embed\"", "\"encoding_format\":", "\"float\"", "\"base64\"",
            "\"dimensions\":", "384", "\"user\":", "[\"", "\"]", "null", "true", "1e400", "-1", "2147483648",
            "\\ud800", "[[[[", "]]]]"})
    void embed(byte[] body) {
        try {
            EmbeddingRequest request = JSON.read(body, EmbeddingRequest.class);
            List<String> texts = request.texts(MAX_INPUTS);
            boolean base64 = request.base64();
            request.requireDimensions(384);
            assertThat(texts).isNotEmpty().hasSizeLessThanOrEqualTo(MAX_INPUTS).doesNotContainNull();
            assertThat(base64).isEqualTo("base64".equals(request.encodingFormat()));
        } catch (InvalidInputException | PayloadTooLargeException e) {
            assertThat(e.getMessage()).isNotBlank();
        }
    }
}
