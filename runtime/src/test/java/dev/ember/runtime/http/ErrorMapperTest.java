package dev.ember.runtime.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import dev.ember.runtime.api.InferenceFailedException;
import dev.ember.runtime.api.InvalidInputException;
import jakarta.ws.rs.WebApplicationException;
import java.util.Map;
import java.util.concurrent.CompletionException;
import org.junit.jupiter.api.Test;

/** Error bodies are safe to show: an internal fault says "internal error" and a request id, nothing of the fault. */
class ErrorMapperTest {

    @SuppressWarnings("unchecked")
    static String error(jakarta.ws.rs.core.Response r) {
        return ((Map<String, String>) r.getEntity()).get("error");
    }

    @Test
    void anInternalFaultShowsNoClassPathOrLibraryText() {
        var fault = new IllegalStateException("ai.onnxruntime.OrtException at /opt/models/embed/1/model.onnx");
        var r = ErrorMapper.toResponse(new CompletionException(fault));
        assertThat(r.getStatus()).isEqualTo(500);
        assertThat(error(r)).matches("internal error \\(request id [0-9a-f-]{36}\\)");
        assertThat(error(r)).doesNotContain("IllegalState").doesNotContain("onnxruntime").doesNotContain("/opt");
    }

    @Test
    void aModelFailureNamesTheModelAndNothingOfTheCause() {
        var cause = new IllegalStateException("ai.onnxruntime.OrtException at /opt/models/embed/1/model.onnx");
        var r = ErrorMapper.toResponse(new InferenceFailedException("model embed/1 failed in its Gather operator",
                cause));
        assertThat(r.getStatus()).isEqualTo(500);
        assertThat(error(r)).matches("model embed/1 failed in its Gather operator: internal error "
                + "\\(request id [0-9a-f-]{36}\\)");
        assertThat(error(r)).doesNotContain("onnxruntime").doesNotContain("/opt");
    }

    @Test
    void aClientErrorKeepsItsOwnMessage() {
        var r = ErrorMapper.toResponse(new InvalidInputException("'input' is required"));
        assertThat(r.getStatus()).isEqualTo(400);
        assertThat(error(r)).isEqualTo("'input' is required");
    }

    @Test
    void aJacksonFailureGivesThePlaceNotTheText() throws Exception {
        JsonProcessingException parse;
        try (JsonParser p = new JsonFactory().createParser("{\"a\": secret}")) {
            while (p.nextToken() != null) {
                // until it fails
            }
            throw new AssertionError("parsed");
        } catch (JsonProcessingException e) {
            parse = e;
        }
        var r = ErrorMapper.toResponse(parse);
        assertThat(r.getStatus()).isEqualTo(400);
        assertThat(error(r)).startsWith("malformed JSON at line 1").doesNotContain("secret");
    }

    @Test
    void aFrameworkRefusalWithAnUnknownStatusShowsNoFrameworkText() {
        var r = ErrorMapper.toResponse(new WebApplicationException("RESTEASY003210: io.quarkus internals", 409));
        assertThat(r.getStatus()).isEqualTo(409);
        assertThat(error(r)).doesNotContain("RESTEASY").doesNotContain("io.quarkus");
    }
}
