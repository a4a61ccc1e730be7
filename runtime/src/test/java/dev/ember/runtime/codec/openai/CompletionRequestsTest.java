package dev.ember.runtime.codec.openai;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ember.runtime.api.ChatMessage;
import dev.ember.runtime.api.GenerationRequest;
import dev.ember.runtime.api.InvalidInputException;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

/** OpenAI's generation requests: what is read, and every refusal naming its field (OpenAI's param). */
class CompletionRequestsTest {

    static final ObjectMapper JSON = new ObjectMapper();

    static JsonNode json(String s) throws Exception {
        return JSON.readTree(s);
    }

    @Test
    void aCompletionRequestCarriesEveryField() throws Exception {
        CompletionCall call = CompletionRequests.completion(json("""
                {"model": "gpt", "prompt": "Once", "max_tokens": 7, "temperature": 0, "top_p": 0.5, "seed": 42,
                 "stop": ["\\n", "END"], "logit_bias": {"3": -100, "17": 5.5}, "n": 1, "stream": true,
                 "stream_options": {"include_usage": true}, "user": "ignored", "presence_penalty": 0}"""));
        assertThat(call.chat()).isFalse();
        assertThat(call.model()).isEqualTo("gpt");
        assertThat(call.stream()).isTrue();
        assertThat(call.includeUsage()).isTrue();
        GenerationRequest r = call.request();
        assertThat(r.prompt()).isEqualTo("Once");
        assertThat(r.chat()).isFalse();
        assertThat(r.maxTokens()).hasValue(7);
        assertThat(r.temperature()).hasValue(0);
        assertThat(r.topP()).hasValue(0.5);
        assertThat(r.seed()).hasValue(42);
        assertThat(r.stop()).containsExactly("\n", "END");
        assertThat(r.logitsProcessors()).hasSize(1);
        float[] logits = new float[20];
        r.logitsProcessors().get(0).process(new long[] {1, 2}, logits);
        assertThat(logits[3]).isEqualTo(-100f);
        assertThat(logits[17]).isEqualTo(5.5f);
        assertThat(logits[4]).isZero();
    }

    @Test
    void absentAndNullFieldsTakeTheDefaults() throws Exception {
        CompletionCall call = CompletionRequests.completion(json("""
                {"model": "gpt", "prompt": ["one prompt"], "max_tokens": null, "stop": null, "stream": null,
                 "logit_bias": {}}"""));
        GenerationRequest r = call.request();
        assertThat(r.prompt()).isEqualTo("one prompt");
        assertThat(r.maxTokens()).isEmpty();
        assertThat(r.temperature()).isEmpty();
        assertThat(r.seed()).isEmpty();
        assertThat(r.stop()).isEmpty();
        assertThat(r.logitsProcessors()).isEmpty();
        assertThat(call.stream()).isFalse();
        assertThat(call.includeUsage()).isFalse();
    }

    @Test
    void aChatRequestReadsRolesTextPartsAndTheNewerMaxTokens() throws Exception {
        CompletionCall call = CompletionRequests.chat(json("""
                {"model": "chat", "messages": [
                   {"role": "developer", "content": "Be brief."},
                   {"role": "user", "content": [{"type": "text", "text": "Hi"}, {"type": "text", "text": "there"}]},
                   {"role": "assistant", "content": "Hello"}, {"role": "tool", "content": "42"}],
                 "max_tokens": 99, "max_completion_tokens": 5, "stop": "\\n\\n"}"""));
        assertThat(call.chat()).isTrue();
        GenerationRequest r = call.request();
        assertThat(r.chat()).isTrue();
        assertThat(r.messages()).containsExactly(new ChatMessage("system", "Be brief."),
                new ChatMessage("user", "Hi\nthere"), new ChatMessage("assistant", "Hello"),
                new ChatMessage("tool", "42"));
        assertThat(r.maxTokens()).hasValue(5);
        assertThat(r.stop()).containsExactly("\n\n");
        assertThat(CompletionRequests.chat(json("{\"model\": \"c\", \"messages\": [{\"role\": \"user\", \"content\":"
                + " \"x\"}], \"max_tokens\": 9}")).request().maxTokens()).hasValue(9);
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', quoteCharacter = '`', value = {
            "model missing      | model       | {\"prompt\": \"a\"}",
            "model a number     | model       | {\"model\": 3, \"prompt\": \"a\"}",
            "model blank        | model       | {\"model\": \" \", \"prompt\": \"a\"}",
            "prompt missing     | prompt      | {\"model\": \"m\"}",
            "prompt a number    | prompt      | {\"model\": \"m\", \"prompt\": 5}",
            "prompts in a list  | prompt      | {\"model\": \"m\", \"prompt\": [\"a\", \"b\"]}",
            "token ids          | prompt      | {\"model\": \"m\", \"prompt\": [1, 2, 3]}",
            "max_tokens zero    | max_tokens  | {\"model\": \"m\", \"prompt\": \"a\", \"max_tokens\": 0}",
            "max_tokens negative| max_tokens  | {\"model\": \"m\", \"prompt\": \"a\", \"max_tokens\": -5}",
            "max_tokens absurd  | max_tokens  | {\"model\": \"m\", \"prompt\": \"a\", \"max_tokens\": 1000000000000}",
            "max_tokens fraction| max_tokens  | {\"model\": \"m\", \"prompt\": \"a\", \"max_tokens\": 2.5}",
            "max_tokens string  | max_tokens  | {\"model\": \"m\", \"prompt\": \"a\", \"max_tokens\": \"10\"}",
            "temperature string | temperature | {\"model\": \"m\", \"prompt\": \"a\", \"temperature\": \"hot\"}",
            "temperature high   | temperature | {\"model\": \"m\", \"prompt\": \"a\", \"temperature\": 2.5}",
            "temperature < 0    | temperature | {\"model\": \"m\", \"prompt\": \"a\", \"temperature\": -0.1}",
            "top_p zero         | top_p       | {\"model\": \"m\", \"prompt\": \"a\", \"top_p\": 0}",
            "top_p above one    | top_p       | {\"model\": \"m\", \"prompt\": \"a\", \"top_p\": 1.5}",
            "seed fraction      | seed        | {\"model\": \"m\", \"prompt\": \"a\", \"seed\": 1.5}",
            "seed too large     | seed        | {\"model\": \"m\", \"prompt\": \"a\", \"seed\": 99999999999999999999}",
            "stop a number      | stop        | {\"model\": \"m\", \"prompt\": \"a\", \"stop\": 3}",
            "stop empty         | stop        | {\"model\": \"m\", \"prompt\": \"a\", \"stop\": \"\"}",
            "stop five          | stop        | {\"model\": \"m\", \"prompt\": \"a\", \"stop\": [\"a\",\"b\",\"c\",\"d\",\"e\"]}",
            "stop item          | stop[1]     | {\"model\": \"m\", \"prompt\": \"a\", \"stop\": [\"a\", 2]}",
            "logit_bias array   | logit_bias  | {\"model\": \"m\", \"prompt\": \"a\", \"logit_bias\": [1]}",
            "logit_bias key     | logit_bias  | {\"model\": \"m\", \"prompt\": \"a\", \"logit_bias\": {\"-1\": 1}}",
            "logit_bias word    | logit_bias  | {\"model\": \"m\", \"prompt\": \"a\", \"logit_bias\": {\"cat\": 1}}",
            "logit_bias value   | logit_bias  | {\"model\": \"m\", \"prompt\": \"a\", \"logit_bias\": {\"1\": 101}}",
            "logit_bias string  | logit_bias  | {\"model\": \"m\", \"prompt\": \"a\", \"logit_bias\": {\"1\": \"x\"}}",
            "n two              | n           | {\"model\": \"m\", \"prompt\": \"a\", \"n\": 2}",
            "n zero             | n           | {\"model\": \"m\", \"prompt\": \"a\", \"n\": 0}",
            "stream a string    | stream      | {\"model\": \"m\", \"prompt\": \"a\", \"stream\": \"yes\"}",
            "stream_options     | stream_options | {\"model\": \"m\", \"prompt\": \"a\", \"stream_options\": 1}",
            "include_usage      | stream_options.include_usage | {\"model\": \"m\", \"prompt\": \"a\", \"stream_options\": {\"include_usage\": 1}}",
    })
    void badCompletionRequestsNameTheField(String name, String field, String body) throws Exception {
        JsonNode node = json(body);
        assertThatThrownBy(() -> CompletionRequests.completion(node)).isInstanceOf(InvalidInputException.class)
                .satisfies(e -> assertThat(OpenAiErrors.param(400, e.getMessage())).as(e.getMessage())
                        .isEqualTo(field));
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', quoteCharacter = '`', value = {
            "messages missing   | messages               | {\"model\": \"m\"}",
            "messages a string  | messages               | {\"model\": \"m\", \"messages\": \"hi\"}",
            "messages empty     | messages               | {\"model\": \"m\", \"messages\": []}",
            "message a string   | messages[0]            | {\"model\": \"m\", \"messages\": [\"hi\"]}",
            "role missing       | messages[0].role       | {\"model\": \"m\", \"messages\": [{\"content\": \"hi\"}]}",
            "unknown role       | messages[1].role       | {\"model\": \"m\", \"messages\": [{\"role\": \"user\", \"content\": \"a\"}, {\"role\": \"wizard\", \"content\": \"hi\"}]}",
            "role a number      | messages[0].role       | {\"model\": \"m\", \"messages\": [{\"role\": 1, \"content\": \"hi\"}]}",
            "content missing    | messages[0].content    | {\"model\": \"m\", \"messages\": [{\"role\": \"user\"}]}",
            "content a number   | messages[0].content    | {\"model\": \"m\", \"messages\": [{\"role\": \"user\", \"content\": 5}]}",
            "image part         | messages[0].content[0].type | {\"model\": \"m\", \"messages\": [{\"role\": \"user\", \"content\": [{\"type\": \"image_url\", \"image_url\": {}}]}]}",
            "part without text  | messages[0].content[0].text | {\"model\": \"m\", \"messages\": [{\"role\": \"user\", \"content\": [{\"type\": \"text\"}]}]}",
            "max_completion     | max_completion_tokens  | {\"model\": \"m\", \"messages\": [{\"role\": \"user\", \"content\": \"a\"}], \"max_completion_tokens\": -1}",
            "temperature        | temperature            | {\"model\": \"m\", \"messages\": [{\"role\": \"user\", \"content\": \"a\"}], \"temperature\": \"hot\"}",
    })
    void badChatRequestsNameTheField(String name, String field, String body) throws Exception {
        JsonNode node = json(body);
        assertThatThrownBy(() -> CompletionRequests.chat(node)).isInstanceOf(InvalidInputException.class)
                .satisfies(e -> assertThat(OpenAiErrors.param(400, e.getMessage())).as(e.getMessage())
                        .isEqualTo(field));
    }

    @Test
    void aBodyThatIsNoObjectIsRefused() throws Exception {
        for (String body : List.of("[]", "3", "\"x\"")) {
            JsonNode node = json(body);
            assertThatThrownBy(() -> CompletionRequests.chat(node)).isInstanceOf(InvalidInputException.class)
                    .hasMessageContaining("JSON object");
        }
    }

    @Test
    void refusalsNeverQuoteTheValueSent() throws Exception {
        JsonNode node = json("{\"model\": \"m\", \"prompt\": \"a\", \"temperature\": \"SECRET\"}");
        assertThatThrownBy(() -> CompletionRequests.completion(node)).hasMessageNotContaining("SECRET");
        JsonNode role = json("{\"model\": \"m\", \"messages\": [{\"role\": \"SECRET\", \"content\": \"a\"}]}");
        assertThatThrownBy(() -> CompletionRequests.chat(role)).hasMessageNotContaining("SECRET");
    }

    @Test
    void anEventsDataIsAChatOrACompletionRequestForTheRoutedFunction() throws Exception {
        CompletionCall chat = CompletionRequests.event(json("{\"model\": \"other\", \"messages\": [{\"role\":"
                + " \"user\", \"content\": \"hi\"}], \"max_tokens\": 3}"), "gen");
        assertThat(chat.chat()).isTrue();
        assertThat(chat.model()).isEqualTo("gen");
        assertThat(chat.request().maxTokens()).hasValue(3);
        CompletionCall completion = CompletionRequests.event(json("{\"prompt\": \"Once\"}"), "gen");
        assertThat(completion.chat()).isFalse();
        assertThat(completion.model()).isEqualTo("gen");
        assertThat(completion.request().prompt()).isEqualTo("Once");
        JsonNode stream = json("{\"prompt\": \"Once\", \"stream\": true}");
        assertThatThrownBy(() -> CompletionRequests.event(stream, "gen")).isInstanceOf(InvalidInputException.class)
                .hasMessageStartingWith("'stream'");
        JsonNode neither = json("{\"input\": \"x\"}");
        assertThatThrownBy(() -> CompletionRequests.event(neither, "gen")).hasMessageStartingWith("'prompt'");
    }

    @Test
    void anEngineRefusalOfMaxTokensNamesTheFieldTheClientSent() throws Exception {
        // the engine's own message, as GeneratorModel words it: it knows the limit only as max_tokens
        InvalidInputException engine = new InvalidInputException("'max_tokens': must be at most the model's context"
                + " of 64 tokens");
        CompletionCall newer = CompletionRequests.chat(json("{\"model\": \"c\", \"messages\": [{\"role\": \"user\","
                + " \"content\": \"x\"}], \"max_tokens\": 3, \"max_completion_tokens\": 100}"));
        assertThat(newer.maxTokensField()).isEqualTo("max_completion_tokens");
        Throwable renamed = newer.asSent(new CompletionException(engine));
        assertThat(renamed).isInstanceOf(InvalidInputException.class)
                .hasMessage("'max_completion_tokens': must be at most the model's context of 64 tokens");
        assertThat(OpenAiErrors.param(400, renamed.getMessage())).isEqualTo("max_completion_tokens");
        // the failed admission future answers with the renamed refusal
        assertThatThrownBy(() -> newer.asSent(CompletableFuture.failedFuture(engine)).join())
                .hasCauseInstanceOf(InvalidInputException.class)
                .hasRootCauseMessage("'max_completion_tokens': must be at most the model's context of 64 tokens");
        // other refusals, and requests that sent max_tokens, keep the engine's words
        InvalidInputException other = new InvalidInputException("'temperature': must be between 0 and 2");
        assertThat(newer.asSent(other)).isSameAs(other);
        CompletionCall older = CompletionRequests.chat(json("{\"model\": \"c\", \"messages\": [{\"role\": \"user\","
                + " \"content\": \"x\"}], \"max_tokens\": 100}"));
        assertThat(older.maxTokensField()).isEqualTo("max_tokens");
        assertThat(older.asSent(engine)).isSameAs(engine);
        CompletionCall completion = CompletionRequests.completion(json("{\"model\": \"m\", \"prompt\": \"a\"}"));
        assertThat(completion.maxTokensField()).isEqualTo("max_tokens");
        assertThat(completion.asSent(engine)).isSameAs(engine);
    }
}
