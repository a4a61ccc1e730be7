package dev.ember.runtime.codec;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.Test;

/** The error shape follows the path: OpenAI's on /v1/*, Ember's own elsewhere. */
class ErrorBodiesTest {

    @Test
    void theShapeFollowsThePath() {
        assertThat(ErrorBodies.of("/functions/embed", 400, "'input' is required"))
                .isEqualTo(Map.of("error", "'input' is required"));
        assertThat(ErrorBodies.of(null, 404, "no such resource")).isEqualTo(Map.of("error", "no such resource"));
        assertThat(ErrorBodies.of("/v1x", 404, "no such resource")).isEqualTo(Map.of("error", "no such resource"));
        @SuppressWarnings("unchecked")
        Map<String, Object> error = (Map<String, Object>) ErrorBodies.of("/v1/chat/completions", 400,
                "'messages' is empty").get("error");
        assertThat(error).containsEntry("message", "'messages' is empty").containsEntry("param", "messages")
                .containsEntry("type", "invalid_request_error").containsEntry("code", "invalid_value");
    }
}
