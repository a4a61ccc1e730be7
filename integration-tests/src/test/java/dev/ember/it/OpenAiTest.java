package dev.ember.it;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.nullValue;

import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.path.json.JsonPath;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The OpenAI endpoints that need no generator: {@code /v1/models}, and OpenAI's error shape on every {@code /v1/*}
 * refusal, the framework's own (404, 405, 413, 415) and the completions requests refused before any model is touched.
 */
@QuarkusTest
@WithTestResource(FixtureRepository.class)
public class OpenAiTest {

    @Test
    void everyFunctionIsListedAsAModel() {
        JsonPath list = given().get("/v1/models").then().statusCode(200).contentType(ContentType.JSON)
                .body("object", equalTo("list")).extract().jsonPath();
        List<String> ids = list.getList("data.id");
        // the embedding function of the application and the plain models of the fixture repository
        assertThat(ids).contains("embed", "add", "add_pinned");
        assertThat(ids).doesNotHaveDuplicates();
        assertThat(list.getList("data.object")).containsOnly("model");
        assertThat(list.getList("data.owned_by")).containsOnly("ember");
        assertThat(list.getLong("data[0].created")).isGreaterThan(1_700_000_000L);
    }

    @Test
    void oneModel() {
        given().get("/v1/models/embed").then().statusCode(200).contentType(ContentType.JSON)
                .body("id", equalTo("embed")).body("object", equalTo("model")).body("owned_by", equalTo("ember"));
        given().get("/v1/models/nope").then().statusCode(404).contentType(ContentType.JSON)
                .body("error.type", equalTo("invalid_request_error")).body("error.code", equalTo("not_found"))
                .body("error.param", equalTo("model")).body("error.message", containsString("nope"));
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', quoteCharacter = '`', value = {
            "model missing       | /v1/completions      | 400 | model       | {\"prompt\": \"a\"}",
            "unknown model       | /v1/completions      | 404 | model       | {\"model\": \"nope\", \"prompt\": \"a\"}",
            "prompt missing      | /v1/completions      | 400 | prompt      | {\"model\": \"add\"}",
            "max_tokens negative | /v1/completions      | 400 | max_tokens  | {\"model\": \"add\", \"prompt\": \"a\", \"max_tokens\": -1}",
            "max_tokens absurd   | /v1/completions      | 400 | max_tokens  | {\"model\": \"add\", \"prompt\": \"a\", \"max_tokens\": 99999999999}",
            "temperature hot     | /v1/completions      | 400 | temperature | {\"model\": \"add\", \"prompt\": \"a\", \"temperature\": \"hot\"}",
            "n two               | /v1/completions      | 400 | n           | {\"model\": \"add\", \"prompt\": \"a\", \"n\": 2}",
            "five stops          | /v1/completions      | 400 | stop        | {\"model\": \"add\", \"prompt\": \"a\", \"stop\": [\"a\",\"b\",\"c\",\"d\",\"e\"]}",
            "logit_bias range    | /v1/completions      | 400 | logit_bias  | {\"model\": \"add\", \"prompt\": \"a\", \"logit_bias\": {\"1\": 200}}",
            "messages missing    | /v1/chat/completions | 400 | messages    | {\"model\": \"add\"}",
            "unknown role        | /v1/chat/completions | 400 | messages[0].role | {\"model\": \"add\", \"messages\": [{\"role\": \"wizard\", \"content\": \"a\"}]}",
            "content a number    | /v1/chat/completions | 400 | messages[0].content | {\"model\": \"add\", \"messages\": [{\"role\": \"user\", \"content\": 3}]}",
            "max_completion      | /v1/chat/completions | 400 | max_completion_tokens | {\"model\": \"add\", \"messages\": [{\"role\": \"user\", \"content\": \"a\"}], \"max_completion_tokens\": 0}",
    })
    void badRequestsNameTheFieldInOpenAisShape(String name, String path, int status, String param, String body) {
        given().contentType(ContentType.JSON).body(body).post(path).then().statusCode(status)
                .contentType(ContentType.JSON).body("error.param", equalTo(param))
                .body("error.type", equalTo("invalid_request_error")).body("error.message", containsString(param));
    }

    @Test
    void malformedJsonIs400WithoutParam() {
        for (String path : List.of("/v1/completions", "/v1/chat/completions")) {
            given().contentType(ContentType.JSON).body("{\"model\": ").post(path).then().statusCode(400)
                    .body("error.message", containsString("malformed JSON")).body("error.param", nullValue())
                    .body("error.type", equalTo("invalid_request_error"));
            given().contentType(ContentType.JSON).body("[1]").post(path).then().statusCode(400)
                    .body("error.message", containsString("JSON object"));
        }
    }

    @Test
    void theFrameworksOwnRefusalsUseOpenAisShapeToo() {
        given().get("/v1/completions").then().statusCode(405).contentType(ContentType.JSON)
                .body("error.type", equalTo("invalid_request_error")).body("error.code", equalTo("method_not_allowed"));
        given().contentType(ContentType.TEXT).body("hello").post("/v1/chat/completions").then().statusCode(415)
                .contentType(ContentType.JSON).body("error.code", equalTo("unsupported_media_type"));
        given().get("/v1/nothing-here").then().statusCode(404).contentType(ContentType.JSON)
                .body("error.code", equalTo("not_found"));
        // FixtureRepository sets the body limit to 1M; the route filter refuses by Content-Length before reading
        given().contentType(ContentType.JSON).body("{\"model\": \"add\", \"prompt\": \"" + "a".repeat(1_100_000)
                + "\"}").post("/v1/completions").then().statusCode(413).contentType(ContentType.JSON)
                .body("error.type", equalTo("invalid_request_error")).body("error.code", equalTo("payload_too_large"));
        // elsewhere Ember's own shape stays
        given().get("/functions/embed/nothing").then().statusCode(404).body("error", containsString("no such"));
    }
}
