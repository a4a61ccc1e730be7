package dev.ember.it;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.path.json.JsonPath;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * {@code /v1/completions} and {@code /v1/chat/completions} end to end on a generated decoder: the shapes, SSE
 * framing read by a real client line by line, the concatenated deltas equal to the non-streaming answer (greedy),
 * include_usage, the stop and length finish reasons, logit_bias, a disconnect that frees the sequence (the running
 * gauge drops), the generator served over CloudEvents, and every bad input.
 */
@QuarkusTest
@WithTestResource(GeneratorRepository.class)
public class OpenAiGenerationTest {

    static final ObjectMapper JSON = new ObjectMapper();
    static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(10)).build();
    static final String PROMPT = "the cat sat on the";
    static final String CHAT = "\"messages\": [{\"role\": \"system\", \"content\": \"Be brief.\"},"
            + " {\"role\": \"user\", \"content\": [{\"type\": \"text\", \"text\": \"Hello there\"}]}]";

    @TestHTTPResource("/")
    URI base;

    /** A stream as a client reads it: the data of each event, [DONE] included, and the headers. */
    record Stream(int status, java.net.http.HttpHeaders headers, List<String> data) {

        String contentType() {
            return headers.firstValue("Content-Type").orElse("");
        }

        List<JsonNode> chunks() throws IOException {
            List<JsonNode> chunks = new ArrayList<>();
            for (String d : data.subList(0, data.size() - 1)) {
                chunks.add(JSON.readTree(d));
            }
            return chunks;
        }
    }

    HttpRequest post(String path, String body) {
        return post(path, body, "application/json");
    }

    /** OpenAI's Python SDK sends Accept: application/json for a stream too; other clients text/event-stream. */
    HttpRequest post(String path, String body, String accept) {
        return HttpRequest.newBuilder(base.resolve(path)).timeout(Duration.ofSeconds(60))
                .header("Content-Type", "application/json").header("Accept", accept)
                .POST(HttpRequest.BodyPublishers.ofString(body)).build();
    }

    /** Reads the event stream line by line as SSE defines it: "data: x" lines, each event ended by a blank line. */
    Stream stream(String path, String body) throws Exception {
        return stream(post(path, body));
    }

    Stream stream(HttpRequest request) throws Exception {
        HttpResponse<InputStream> r = HTTP.send(request, HttpResponse.BodyHandlers.ofInputStream());
        List<String> data = new ArrayList<>();
        try (BufferedReader lines = new BufferedReader(new InputStreamReader(r.body(), StandardCharsets.UTF_8))) {
            String pending = null;
            for (String line = lines.readLine(); line != null; line = lines.readLine()) {
                if (line.isEmpty()) {
                    assertThat(pending).as("an event has one data line").isNotNull();
                    data.add(pending);
                    pending = null;
                } else {
                    assertThat(line).startsWith("data: ");
                    assertThat(pending).as("one data line per event").isNull();
                    pending = line.substring(6);
                }
            }
            assertThat(pending).as("the last event is ended by a blank line").isNull();
        }
        return new Stream(r.statusCode(), r.headers(), data);
    }

    JsonPath complete(String path, String body) {
        return given().contentType(ContentType.JSON).body(body).post(path).then().statusCode(200)
                .contentType(ContentType.JSON).extract().jsonPath();
    }

    @Test
    void aGreedyCompletionStreamsExactlyItsAnswer() throws Exception {
        String request = "{\"model\": \"gen\", \"prompt\": \"" + PROMPT + "\", \"temperature\": 0, \"max_tokens\": 12";
        JsonPath whole = complete("/v1/completions", request + "}");
        assertThat(whole.getString("id")).startsWith("cmpl-");
        assertThat(whole.getString("object")).isEqualTo("text_completion");
        assertThat(whole.getString("model")).isEqualTo("gen");
        assertThat(whole.getInt("choices[0].index")).isZero();
        assertThat(whole.getString("choices[0].finish_reason")).isIn("stop", "length");
        int completion = whole.getInt("usage.completion_tokens");
        assertThat(completion).isBetween(1, 12);
        if (whole.getString("choices[0].finish_reason").equals("length")) {
            assertThat(completion).isEqualTo(12);
        }
        assertThat(whole.getInt("usage.prompt_tokens")).isPositive();
        assertThat(whole.getInt("usage.total_tokens")).isEqualTo(whole.getInt("usage.prompt_tokens") + completion);

        Stream s = stream("/v1/completions", request + ", \"stream\": true}");
        assertThat(s.status()).isEqualTo(200);
        assertThat(s.contentType()).startsWith("text/event-stream");
        assertThat(s.data()).last().isEqualTo("[DONE]");
        StringBuilder text = new StringBuilder();
        String finish = null;
        List<JsonNode> chunks = s.chunks();
        for (JsonNode c : chunks) {
            assertThat(c.path("object").asText()).isEqualTo("text_completion");
            assertThat(c.path("id").asText()).isEqualTo(chunks.get(0).path("id").asText()).startsWith("cmpl-");
            assertThat(finish).as("nothing after the finish").isNull();
            text.append(c.at("/choices/0/text").asText());
            if (!c.at("/choices/0/finish_reason").isNull()) {
                finish = c.at("/choices/0/finish_reason").asText();
            }
            assertThat(c.has("usage")).isFalse();
        }
        assertThat(text.toString()).isEqualTo(whole.getString("choices[0].text"));
        assertThat(finish).isEqualTo(whole.getString("choices[0].finish_reason"));
    }

    @Test
    void aChatStreamIsRoleDeltasFinishAndUsage() throws Exception {
        String request = "{\"model\": \"gen\", " + CHAT + ", \"temperature\": 0, \"max_completion_tokens\": 10";
        JsonPath whole = complete("/v1/chat/completions", request + "}");
        assertThat(whole.getString("id")).startsWith("chatcmpl-");
        assertThat(whole.getString("object")).isEqualTo("chat.completion");
        assertThat(whole.getString("choices[0].message.role")).isEqualTo("assistant");
        String answer = whole.getString("choices[0].message.content");

        Stream s = stream(post("/v1/chat/completions", request + ", \"stream\": true,"
                + " \"stream_options\": {\"include_usage\": true}}", "text/event-stream"));
        assertThat(s.status()).isEqualTo(200);
        assertThat(s.contentType()).startsWith("text/event-stream");
        // the route filters and the version header apply to a stream as to any response
        assertThat(s.headers().firstValue("Ember-Version")).hasValue("1");
        assertThat(s.headers().firstValue("X-Request-Id")).isPresent();
        assertThat(s.headers().firstValue("Cache-Control")).hasValue("no-cache");
        assertThat(s.data()).last().isEqualTo("[DONE]");
        List<JsonNode> chunks = s.chunks();
        assertThat(chunks.get(0).at("/choices/0/delta").toString())
                .isEqualTo("{\"role\":\"assistant\",\"content\":\"\"}");
        JsonNode usage = chunks.get(chunks.size() - 1);
        assertThat(usage.path("choices").isEmpty()).isTrue();
        assertThat(usage.path("usage").path("prompt_tokens").asInt()).isEqualTo(whole.getInt("usage.prompt_tokens"));
        assertThat(usage.path("usage").path("completion_tokens").asInt())
                .isEqualTo(whole.getInt("usage.completion_tokens"));
        JsonNode last = chunks.get(chunks.size() - 2);
        assertThat(last.at("/choices/0/delta").isEmpty()).isTrue();
        assertThat(last.at("/choices/0/finish_reason").asText()).isEqualTo(whole.getString("choices[0].finish_reason"));
        StringBuilder text = new StringBuilder();
        for (JsonNode c : chunks.subList(1, chunks.size() - 2)) {
            assertThat(c.path("object").asText()).isEqualTo("chat.completion.chunk");
            assertThat(c.at("/choices/0/finish_reason").isNull()).isTrue();
            assertThat(c.has("usage")).isTrue();
            assertThat(c.path("usage").isNull()).isTrue();
            text.append(c.at("/choices/0/delta/content").asText());
        }
        assertThat(text.toString()).isEqualTo(answer);
    }

    @Test
    void aStopStringEndsTheTextBeforeIt() {
        String request = "{\"model\": \"gen\", \"prompt\": \"" + PROMPT + "\", \"temperature\": 0, \"max_tokens\": 24";
        // EOS banned, so the greedy text runs to max_tokens
        String free = complete("/v1/completions", request + ", \"logit_bias\": " + noEos() + "}")
                .getString("choices[0].text");
        assertThat(free.length()).as(free).isGreaterThan(6);
        String stop = free.substring(4, 6);
        JsonPath stopped = complete("/v1/completions", request + ", \"logit_bias\": " + noEos() + ", \"stop\": "
                + JSON.valueToTree(stop) + "}");
        assertThat(stopped.getString("choices[0].text")).isEqualTo(free.substring(0, free.indexOf(stop)));
        assertThat(stopped.getString("choices[0].finish_reason")).isEqualTo("stop");

        JsonPath one = complete("/v1/completions", request.replace("24", "1") + ", \"logit_bias\": " + noEos() + "}");
        assertThat(one.getString("choices[0].finish_reason")).isEqualTo("length");
        assertThat(one.getInt("usage.completion_tokens")).isEqualTo(1);
    }

    @Test
    void logitBiasForcesAToken() {
        String request = "{\"model\": \"gen\", \"prompt\": \"" + PROMPT + "\", \"temperature\": 0.8, \"seed\": 5,"
                + " \"logit_bias\": {\"70\": 100}, \"max_tokens\": ";
        String one = complete("/v1/completions", request + "1}").getString("choices[0].text");
        String four = complete("/v1/completions", request + "4}").getString("choices[0].text");
        assertThat(one).isNotEmpty();
        assertThat(four).isEqualTo(one.repeat(4));
    }

    /** logit_bias banning every end-of-sequence id of the generated decoder. */
    static String noEos() {
        return "{\"" + dev.ember.runtime.testing.DecoderModels.ENDOFTEXT + "\": -100, \""
                + dev.ember.runtime.testing.DecoderModels.IM_END + "\": -100}";
    }

    @Test
    void aClientThatDisconnectsFreesItsSequence() throws Exception {
        String f = GeneratorRepository.LONG;
        double tokensBefore = Metrics.value("ember_generate_completion_tokens_total", "function", f);
        int max = GeneratorRepository.LONG_TOKENS;
        String body = "{\"model\": \"" + f + "\", \"prompt\": \"" + PROMPT + "\", \"max_tokens\": " + max
                + ", \"logit_bias\": " + noEos() + ", \"stream\": true}";
        HttpResponse<InputStream> r = HTTP.send(post("/v1/completions", body), HttpResponse.BodyHandlers.ofInputStream());
        assertThat(r.statusCode()).isEqualTo(200);
        InputStream in = r.body();
        BufferedReader lines = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
        assertThat(lines.readLine()).startsWith("data: ");
        assertThat(Metrics.value("ember_generate_sequences_running", "function", f)).isEqualTo(1.0);
        in.close();
        awaitMetric("ember_generate_sequences_running", f, 0);
        double generated = Metrics.value("ember_generate_completion_tokens_total", "function", f) - tokensBefore;
        assertThat(generated).as("the generation stopped before its end").isLessThan(max);
    }

    @Test
    void aFullQueueIs503WithRetryAfterBeforeAnyByteOfTheStream() throws Exception {
        String f = GeneratorRepository.ONE;
        String body = "{\"model\": \"" + f + "\", \"prompt\": \"" + PROMPT + "\", \"max_tokens\": "
                + GeneratorRepository.LONG_TOKENS + ", \"logit_bias\": " + noEos() + ", \"stream\": true}";
        HttpResponse<InputStream> running = HTTP.send(post("/v1/completions", body),
                HttpResponse.BodyHandlers.ofInputStream());
        assertThat(running.statusCode()).isEqualTo(200);
        assertThat(new BufferedReader(new InputStreamReader(running.body(), StandardCharsets.UTF_8)).readLine())
                .startsWith("data: ");
        // the one slot is taken: the second waits (its status line too), the third finds the queue full
        CompletableFuture<HttpResponse<InputStream>> waiting = HTTP.sendAsync(post("/v1/completions", body),
                HttpResponse.BodyHandlers.ofInputStream());
        awaitMetric("ember_generate_sequences_waiting", f, 1);
        assertThat(waiting).isNotDone();
        HttpResponse<String> refused = HTTP.send(post("/v1/completions", body), HttpResponse.BodyHandlers.ofString());
        assertThat(refused.statusCode()).as(refused.body()).isEqualTo(503);
        assertThat(refused.headers().firstValue("Content-Type").orElse("")).startsWith("application/json");
        assertThat(refused.headers().firstValue("Retry-After")).isPresent();
        JsonNode error = JSON.readTree(refused.body()).path("error");
        assertThat(error.path("type").asText()).isEqualTo("server_error");
        assertThat(error.path("code").asText()).isEqualTo("unavailable");
        // the first client leaves; the waiting one is admitted and its stream starts
        running.body().close();
        HttpResponse<InputStream> admitted = waiting.get(30, TimeUnit.SECONDS);
        assertThat(admitted.statusCode()).isEqualTo(200);
        assertThat(new BufferedReader(new InputStreamReader(admitted.body(), StandardCharsets.UTF_8)).readLine())
                .startsWith("data: ");
        admitted.body().close();
        awaitMetric("ember_generate_sequences_running", f, 0);
    }

    /** Waits until the gauge of {@code function} reads {@code value}. */
    static void awaitMetric(String gauge, String function, double value) {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (Metrics.value(gauge, "function", function) != value) {
            assertThat(System.nanoTime()).as("%s of %s reaches %s", gauge, function, value).isLessThan(deadline);
            Thread.onSpinWait();
        }
    }

    @Test
    void aModelThatDoesNotGenerateIsRefusedNamingModel() {
        given().contentType(ContentType.JSON).body("{\"model\": \"add\", \"prompt\": \"a\"}").post("/v1/completions")
                .then().statusCode(400).body("error.param", equalTo("model"))
                .body("error.type", equalTo("invalid_request_error"));
        given().contentType(ContentType.JSON).body("{\"model\": \"embed\", " + CHAT + "}").post("/v1/chat/completions")
                .then().statusCode(400).body("error.param", equalTo("model"));
        given().contentType(ContentType.JSON).body("{\"model\": \"gen\", \"input\": \"a\"}").post("/v1/embeddings")
                .then().statusCode(400).body("error.param", equalTo("model"));
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', quoteCharacter = '`', value = {
            "max_tokens beyond the context | /v1/completions      | max_tokens  | {\"model\": \"gen\", \"prompt\": \"a\", \"max_tokens\": 600}",
            "empty prompt                  | /v1/completions      | prompt      | {\"model\": \"gen\", \"prompt\": \"\"}",
            "temperature 3                 | /v1/completions      | temperature | {\"model\": \"gen\", \"prompt\": \"a\", \"temperature\": 3}",
            "temperature hot, streaming    | /v1/completions      | temperature | {\"model\": \"gen\", \"prompt\": \"a\", \"temperature\": \"hot\", \"stream\": true}",
            "n 3                           | /v1/chat/completions | n           | {\"model\": \"gen\", \"messages\": [{\"role\": \"user\", \"content\": \"a\"}], \"n\": 3}",
            "unknown role                  | /v1/chat/completions | messages[0].role | {\"model\": \"gen\", \"messages\": [{\"role\": \"king\", \"content\": \"a\"}]}",
            "stream a string               | /v1/chat/completions | stream      | {\"model\": \"gen\", \"messages\": [{\"role\": \"user\", \"content\": \"a\"}], \"stream\": \"yes\"}",
    })
    void badInputToAGeneratorIs400NamingTheField(String name, String path, String param, String body) {
        given().contentType(ContentType.JSON).body(body).post(path).then().statusCode(400)
                .contentType(ContentType.JSON).body("error.param", equalTo(param))
                .body("error.type", equalTo("invalid_request_error"));
    }

    @Test
    void aPromptLongerThanTheContextIsRefused() {
        String longPrompt = "word ".repeat(GeneratorRepository.MAX_POSITIONS * 2);
        given().contentType(ContentType.JSON).body("{\"model\": \"gen\", \"prompt\": \"" + longPrompt + "\"}")
                .post("/v1/completions").then().statusCode(400).body("error.type", equalTo("invalid_request_error"))
                .body("error.message", containsString("context"));
        // streaming too: refused before the first byte, as an ordinary error
        given().contentType(ContentType.JSON).body("{\"model\": \"gen\", \"stream\": true, \"prompt\": \""
                + longPrompt + "\"}").post("/v1/completions").then().statusCode(400).contentType(ContentType.JSON)
                .body("error.type", equalTo("invalid_request_error"));
    }

    @Test
    void aJavaFunctionShapesThePromptOfTheGeneratorItWraps() {
        String greedy = "\"temperature\": 0, \"max_tokens\": 8, \"logit_bias\": " + noEos() + "}";
        String shaped = complete("/v1/completions", "{\"model\": \"shaped\", \"prompt\": \"" + PROMPT + "\", "
                + greedy).getString("choices[0].text");
        String direct = complete("/v1/completions", "{\"model\": \"gen\", \"prompt\": \""
                + ShapedGenerator.PREAMBLE + PROMPT + "\", " + greedy).getString("choices[0].text");
        assertThat(shaped).isEqualTo(direct);
        given().contentType(ContentType.JSON).body("{\"model\": \"shaped\", " + CHAT + "}")
                .post("/v1/chat/completions").then().statusCode(400).body("error.param", equalTo("messages"));
    }

    @Test
    void aFailureAfterTheFirstByteIsAnErrorEventAndTheEnd() throws Exception {
        Stream s = stream("/v1/completions", "{\"model\": \"shaped\", \"prompt\": \"FAIL " + PROMPT + "\","
                + " \"max_tokens\": 20, \"logit_bias\": " + noEos() + ", \"stream\": true}");
        assertThat(s.status()).isEqualTo(200);
        assertThat(s.data()).doesNotContain("[DONE]");
        JsonNode error = JSON.readTree(s.data().get(s.data().size() - 1)).path("error");
        assertThat(error.path("type").asText()).isEqualTo("server_error");
        assertThat(error.path("message").asText()).contains("internal error").doesNotContain("IllegalState")
                .doesNotContain("fault of the function");
        for (String d : s.data().subList(0, s.data().size() - 1)) {
            assertThat(JSON.readTree(d).path("object").asText()).isEqualTo("text_completion");
        }
    }

    @Test
    void generatorsAreListedWithTheOtherFunctions() {
        List<String> ids = given().get("/v1/models").then().statusCode(200).extract().jsonPath().getList("data.id");
        assertThat(ids).contains("gen", "shaped", "embed", "add");
    }

    @Test
    void anEventForAGeneratorIsAnsweredWithTheCompletion() throws Exception {
        String data = "{\"prompt\": \"" + PROMPT + "\", \"temperature\": 0, \"max_tokens\": 5}";
        String expected = complete("/v1/completions", data.replace("{", "{\"model\": \"gen\", "))
                .getString("choices[0].text");
        HttpResponse<String> r = event("e1", data);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        assertThat(r.headers().firstValue("ce-type")).hasValue("gen.result");
        JsonNode reply = JSON.readTree(r.body());
        assertThat(reply.path("object").asText()).isEqualTo("text_completion");
        assertThat(reply.at("/choices/0/text").asText()).isEqualTo(expected);

        String chat = "{" + CHAT + ", \"temperature\": 0, \"max_tokens\": 3}";
        HttpResponse<String> c = event("e2", chat);
        assertThat(c.statusCode()).as(c.body()).isEqualTo(200);
        assertThat(JSON.readTree(c.body()).path("object").asText()).isEqualTo("chat.completion");

        HttpResponse<String> bad = event("e3", "{\"prompt\": \"a\", \"max_tokens\": -1}");
        assertThat(bad.statusCode()).isEqualTo(400);
        assertThat(bad.body()).contains("max_tokens");
    }

    /** A binary-mode CloudEvent of type {@code gen}, which goes to the function of that name. */
    HttpResponse<String> event(String id, String data) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(base.resolve("/")).timeout(Duration.ofSeconds(60))
                .header("Content-Type", "application/json").header("ce-specversion", "1.0").header("ce-id", id)
                .header("ce-source", "/test").header("ce-type", GeneratorRepository.GEN)
                .POST(HttpRequest.BodyPublishers.ofString(data)).build(), HttpResponse.BodyHandlers.ofString());
    }
}
