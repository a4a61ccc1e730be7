package dev.ember.it;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.nullValue;

import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.response.Response;
import java.nio.file.Files;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Fault isolation and hardening from outside: a failing version's circuit opens (503 with Retry-After, fast) while
 * its other version, other models and readiness are untouched, and closes after a successful probe; names that
 * could step out of the repository are unknown; CORS is off; header and request-line limits hold; and request data
 * never reaches the log. The log check runs last, after every other request.
 */
@QuarkusTest
@WithTestResource(ReliabilityRepository.class)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
public class ReliabilityTest {

    static final String MARKER = "EMBER-SECRET-7f3a9c";

    static Response infer(String path, int elements) {
        StringBuilder data = new StringBuilder("1");
        for (int i = 1; i < elements; i++) {
            data.append(", 1");
        }
        return given().contentType(ContentType.JSON).body("{\"id\": \"" + MARKER + "\", \"inputs\": [{\"name\": \"x\","
                + " \"shape\": [" + elements + "], \"datatype\": \"FP32\", \"data\": [" + data + "]}]}").post(path);
    }

    @Test
    @Order(1)
    void aFailingVersionOpensItsOwnCircuitOnlyAndAProbeClosesIt() throws Exception {
        String v1 = "/v2/models/flaky/versions/1/infer";
        for (int i = 0; i < 4; i++) {
            infer(v1, 5).then().statusCode(500).body("error", containsString("flaky/1"));
        }
        // open: even a good request is answered 503 at once, with the time until probes are let through
        Response refused = infer(v1, 4);
        refused.then().statusCode(503).body("error", containsString("circuit is open"));
        assertThat(Integer.parseInt(refused.header("Retry-After"))).isBetween(1, 2);
        assertThat(Metrics.value("ember_circuit_state", "function", "flaky", "version", "1")).isEqualTo(2.0);
        assertThat(Metrics.value("ember_requests_rejected_total", "function", "flaky", "reason", "circuit_open"))
                .isEqualTo(1.0);

        // nothing else is affected: the other version, another model, readiness
        infer("/v2/models/flaky/versions/2/infer", 4).then().statusCode(200);
        given().contentType(ContentType.JSON).body("{\"inputs\": [{\"name\": \"a\", \"shape\": [1, 3], \"datatype\": "
                + "\"FP32\", \"data\": [1, 2, 3]}, {\"name\": \"b\", \"shape\": [1, 3], \"datatype\": \"FP32\", "
                + "\"data\": [1, 1, 1]}]}").post("/v2/models/add/infer").then().statusCode(200);
        given().get("/q/health/ready").then().statusCode(200);
        assertThat(Metrics.value("ember_circuit_state", "function", "flaky", "version", "2")).isZero();

        // client errors are not the version's failures: they never open a circuit
        for (int i = 0; i < 8; i++) {
            given().contentType(ContentType.JSON).body("{\"inputs\": [{\"name\": \"x\", \"shape\": [4], "
                    + "\"datatype\": \"INT64\", \"data\": [1, 2, 3, 4]}]}").post("/v2/models/flaky/versions/2/infer")
                    .then().statusCode(400);
        }
        assertThat(Metrics.value("ember_circuit_state", "function", "flaky", "version", "2")).isZero();

        // after the delay a probe is let through, and its success closes the circuit
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        int status;
        while ((status = infer(v1, 4).statusCode()) == 503) {
            assertThat(System.nanoTime()).as("the circuit lets a probe through").isLessThan(end);
            Thread.sleep(100);
        }
        assertThat(status).isEqualTo(200);
        assertThat(Metrics.value("ember_circuit_state", "function", "flaky", "version", "1")).isZero();
        assertThat(Metrics.value("ember_circuit_transitions_total", "function", "flaky", "state", "open"))
                .isEqualTo(1.0);
        assertThat(Metrics.value("ember_circuit_transitions_total", "function", "flaky", "state", "closed"))
                .isEqualTo(1.0);
    }

    @Test
    @Order(2)
    void aFailedCudaPathFallsBackToTheCpuWithAMetricAndOneLogLine() throws Exception {
        given().contentType(ContentType.JSON).body("{\"inputs\": [{\"name\": \"a\", \"shape\": [1, 3], \"datatype\": "
                + "\"FP32\", \"data\": [1, 2, 3]}, {\"name\": \"b\", \"shape\": [1, 3], \"datatype\": \"FP32\", "
                + "\"data\": [1, 1, 1]}]}").post("/v2/models/add/infer").then().statusCode(200)
                .body("outputs[0].data", org.hamcrest.Matchers.contains(2.0f, 3.0f, 4.0f));
        assertThat(Metrics.value("ember_device_fallbacks_total", "function", "add", "version", "1",
                "reason", "no_cuda_provider")).isEqualTo(1.0);
        assertThat(Files.readAllLines(ReliabilityRepository.LOG))
                .filteredOn(line -> line.contains("ember.device=cuda") && line.contains("model add/1 runs on CPU"))
                .hasSize(1);
    }

    @Test
    @Order(2)
    void namesThatCouldLeaveTheRepositoryAreUnknown() {
        for (String path : new String[] {"/v2/models/%2e%2e/ready", "/v2/models/..%2F..%2Fetc%2Fpasswd",
                "/v2/models/%2Fetc%2Fpasswd/versions/1", "/v2/models/flaky/versions/..%2F1/ready",
                "/functions/%2e%2e%2fflaky"}) {
            int status = given().urlEncodingEnabled(false).get(path).statusCode();
            assertThat(status).as(path).isIn(400, 404, 405);
        }
        given().urlEncodingEnabled(false).contentType(ContentType.JSON).body("{}")
                .post("/v2/models/%2e%2e%2fflaky/infer").then().statusCode(404);
    }

    @Test
    @Order(3)
    void managementWritesAreOffWithoutAToken() {
        given().header("Authorization", "Bearer anything").post("/v2/repository/models/add/unload")
                .then().statusCode(403).body("error", containsString("ember.management.token"));
        given().header("Authorization", "Bearer anything").post("/v2/repository/models/add/load")
                .then().statusCode(403);
    }

    @Test
    @Order(3)
    void corsStaysOffUnlessConfigured() {
        given().header("Origin", "https://attacker.example").header("Access-Control-Request-Method", "POST")
                .header("Access-Control-Request-Headers", "content-type").options("/v2/models/add/infer")
                .then().header("Access-Control-Allow-Origin", nullValue());
        given().header("Origin", "https://attacker.example").get("/v2/models/add")
                .then().statusCode(200).header("Access-Control-Allow-Origin", nullValue());
    }

    @Test
    @Order(4)
    void oversizedHeadersAndRequestLinesAreRefused() {
        given().header("X-Padding", "h".repeat(32 * 1024)).get("/v2/models/add").then().statusCode(431);
        given().get("/v2/models/" + "m".repeat(8192)).then().statusCode(414);
        given().header("X-Padding", "h".repeat(4 * 1024)).get("/v2/models/add").then().statusCode(200);
    }

    @Test
    @Order(100)
    void noRequestDataIsLogged() throws Exception {
        // bad JSON, an unknown model, bad input, a 500 and a CloudEvent, all carrying the marker
        given().contentType(ContentType.JSON).body("{\"" + MARKER + "\": [}").post("/v2/models/add/infer");
        given().contentType(ContentType.JSON).body("{\"inputs\": []}").post("/v2/models/" + MARKER + "/infer");
        infer("/v2/models/flaky/versions/2/infer", 7).then().statusCode(500);
        given().contentType(ContentType.JSON).body("{\"input\": \"" + MARKER + "\", \"model\": \"" + MARKER + "\"}")
                .post("/v1/embeddings");
        given().contentType("application/cloudevents+json").body("{\"specversion\": \"1.0\", \"id\": \"" + MARKER
                + "\", \"source\": \"/t\", \"type\": \"" + MARKER + "\", \"data\": {\"input\": \"" + MARKER + "\"}}")
                .post("/");
        String log = Files.readString(ReliabilityRepository.LOG);
        assertThat(log).contains("model flaky/2").doesNotContain(MARKER);
    }
}
