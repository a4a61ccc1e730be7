package dev.ember.runtime.codec.openai;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

/** OpenAI's answer shapes, field by field, whole and as chunks; and its error shape. */
class CompletionBodiesTest {

    static final ObjectMapper JSON = new ObjectMapper();

    static JsonNode read(byte[] body) throws Exception {
        return JSON.readTree(body);
    }

    @Test
    void aTextCompletion() throws Exception {
        JsonNode c = read(new CompletionBodies(false, "gen", false).completion("lo", "length", 3, 2));
        assertThat(c.path("id").asText()).startsWith("cmpl-");
        assertThat(c.path("object").asText()).isEqualTo("text_completion");
        assertThat(c.path("created").asLong()).isGreaterThan(1_700_000_000L);
        assertThat(c.path("model").asText()).isEqualTo("gen");
        JsonNode choice = c.path("choices").get(0);
        assertThat(choice.path("index").asInt()).isZero();
        assertThat(choice.path("text").asText()).isEqualTo("lo");
        assertThat(choice.path("finish_reason").asText()).isEqualTo("length");
        assertThat(choice.has("logprobs")).isTrue();
        assertThat(choice.path("logprobs").isNull()).isTrue();
        assertThat(c.path("usage").toString()).isEqualTo("{\"prompt_tokens\":3,\"completion_tokens\":2,\"total_tokens\":5}");
    }

    @Test
    void aChatCompletion() throws Exception {
        JsonNode c = read(new CompletionBodies(true, "chat", false).completion("Hi!", "stop", 10, 3));
        assertThat(c.path("id").asText()).startsWith("chatcmpl-");
        assertThat(c.path("object").asText()).isEqualTo("chat.completion");
        JsonNode choice = c.path("choices").get(0);
        assertThat(choice.path("message").toString()).isEqualTo("{\"role\":\"assistant\",\"content\":\"Hi!\"}");
        assertThat(choice.path("finish_reason").asText()).isEqualTo("stop");
        assertThat(c.path("usage").path("total_tokens").asInt()).isEqualTo(13);
    }

    @Test
    void chatChunksShareIdAndCreatedAndCarryDeltas() throws Exception {
        CompletionBodies b = new CompletionBodies(true, "chat", true);
        JsonNode role = read(b.roleChunk());
        JsonNode text = read(b.textChunk("Hel"));
        JsonNode finish = read(b.finishChunk("stop"));
        JsonNode usage = read(b.usageChunk(4, 1));
        for (JsonNode chunk : new JsonNode[] {role, text, finish, usage}) {
            assertThat(chunk.path("object").asText()).isEqualTo("chat.completion.chunk");
            assertThat(chunk.path("id").asText()).isEqualTo(b.id());
            assertThat(chunk.path("created").asLong()).isEqualTo(role.path("created").asLong());
            assertThat(chunk.path("model").asText()).isEqualTo("chat");
        }
        assertThat(role.at("/choices/0/delta").toString()).isEqualTo("{\"role\":\"assistant\",\"content\":\"\"}");
        assertThat(role.at("/choices/0/finish_reason").isNull()).isTrue();
        assertThat(text.at("/choices/0/delta").toString()).isEqualTo("{\"content\":\"Hel\"}");
        assertThat(text.has("usage")).isTrue();
        assertThat(text.path("usage").isNull()).isTrue();
        assertThat(finish.at("/choices/0/delta").toString()).isEqualTo("{}");
        assertThat(finish.at("/choices/0/finish_reason").asText()).isEqualTo("stop");
        assertThat(usage.path("choices").isArray()).isTrue();
        assertThat(usage.path("choices").isEmpty()).isTrue();
        assertThat(usage.path("usage").toString()).isEqualTo("{\"prompt_tokens\":4,\"completion_tokens\":1,\"total_tokens\":5}");
    }

    @Test
    void completionChunksCarryTextAndNoUsageUnlessAsked() throws Exception {
        CompletionBodies b = new CompletionBodies(false, "gen", false);
        JsonNode text = read(b.textChunk("ab"));
        assertThat(text.path("object").asText()).isEqualTo("text_completion");
        assertThat(text.at("/choices/0/text").asText()).isEqualTo("ab");
        assertThat(text.at("/choices/0/finish_reason").isNull()).isTrue();
        assertThat(text.has("usage")).isFalse();
        JsonNode finish = read(b.finishChunk("length"));
        assertThat(finish.at("/choices/0/text").asText()).isEmpty();
        assertThat(finish.at("/choices/0/finish_reason").asText()).isEqualTo("length");
    }

    @Test
    void errorsHaveOpenAisShape() throws Exception {
        JsonNode bad = read(CompletionBodies.error(400, "'max_tokens' must be an integer in [1, 1048576]"));
        assertThat(bad.path("error").path("message").asText()).startsWith("'max_tokens'");
        assertThat(bad.path("error").path("type").asText()).isEqualTo("invalid_request_error");
        assertThat(bad.path("error").path("param").asText()).isEqualTo("max_tokens");
        assertThat(bad.path("error").path("code").asText()).isEqualTo("invalid_value");
        JsonNode busy = read(CompletionBodies.error(503, "'queue' is full"));
        assertThat(busy.path("error").path("type").asText()).isEqualTo("server_error");
        assertThat(busy.path("error").path("param").isNull()).isTrue();
        assertThat(busy.path("error").path("code").asText()).isEqualTo("unavailable");
        JsonNode none = read(CompletionBodies.error(404, "no such resource"));
        assertThat(none.path("error").has("param")).isTrue();
        assertThat(none.path("error").path("param").isNull()).isTrue();
        assertThat(OpenAiErrors.param(400, "field 'messages[0].role' must be a string")).isEqualTo("messages[0].role");
    }
}
