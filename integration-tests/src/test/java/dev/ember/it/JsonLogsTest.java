package dev.ember.it;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.restassured.http.ContentType;
import java.io.IOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** With {@code ember.log.json=true} every line is one JSON object with the Knative service, revision and request id. */
@QuarkusTest
@TestProfile(JsonLogsProfile.class)
public class JsonLogsTest {

    static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void aRequestsLogLineIsJsonWithServiceRevisionAndRequestId() throws IOException {
        String id = "json-logs-" + UUID.randomUUID();
        given().contentType(ContentType.JSON).header("X-Request-Id", id).body("{\"input\": []}")
                .post("/functions/embed").then().statusCode(400).header("X-Request-Id", id);

        // Quarkus may log a line or two before Ember installs the formatter at start-up, and the file is kept
        // across runs: every line that starts an object must be one whole JSON object
        List<JsonNode> records = new ArrayList<>();
        for (String line : Files.readAllLines(JsonLogsProfile.LOG)) {
            if (line.startsWith("{")) {
                records.add(JSON.readTree(line));
            }
        }
        assertThat(records).as("JSON lines in %s", JsonLogsProfile.LOG).hasSizeGreaterThan(1)
                .allSatisfy(r -> assertThat(r.isObject()).isTrue());
        JsonNode refused = records.stream().filter(r -> r.path("mdc").path("requestId").asText()
                .equals(id)).findFirst().orElseThrow(() -> new AssertionError(
                        "no line with the request id among " + records));
        assertThat(refused.path("message").asText()).contains(id).contains("400");
        assertThat(refused.path("level").asText()).isEqualTo("DEBUG");
        assertThat(refused.path("service").asText()).isEqualTo("local");
        assertThat(refused.path("revision").asText()).isEqualTo("local");
        assertThat(refused.path("timestamp").asText()).matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}.*");
        assertThat(refused.path("loggerName").asText()).isEqualTo("dev.ember.runtime.http.ErrorMapper");
    }

    @Test
    void aRequestWithoutAnIdGetsOne() {
        String id = given().contentType(ContentType.JSON).body("{\"input\": []}").post("/functions/embed")
                .then().statusCode(400).extract().header("X-Request-Id");
        assertThat(id).matches("[0-9a-f-]{36}");
        String other = given().contentType(ContentType.JSON).header("X-Request-Id", "not a token!")
                .body("{\"input\": []}").post("/functions/embed").then().statusCode(400).extract()
                .header("X-Request-Id");
        assertThat(other).matches("[0-9a-f-]{36}").isNotEqualTo(id);
    }
}
