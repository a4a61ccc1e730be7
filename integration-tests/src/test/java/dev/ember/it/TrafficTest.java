package dev.ember.it;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;

import dev.ember.runtime.testing.FixtureModels;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.restassured.http.ContentType;
import io.restassured.path.json.JsonPath;
import io.restassured.response.Response;
import io.restassured.specification.RequestSpecification;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** {@code GET|PUT /functions/{f}/traffic}: the contract, its validation and auth, tags and pins at 0%, per-version metrics. */
@QuarkusTest
@TestProfile(TrafficProfile.class)
public class TrafficTest {

    static final String STABLE_ONLY = "{\"traffic\":[{\"version\":\"1\",\"percent\":100,\"tag\":\"stable\"},"
            + "{\"version\":\"2\",\"percent\":0,\"tag\":\"candidate\"}]}";
    static final String CANDIDATE_ONLY = "{\"traffic\":[{\"version\":\"1\",\"percent\":0,\"tag\":\"stable\"},"
            + "{\"version\":\"2\",\"percent\":100,\"tag\":\"candidate\"}]}";
    static final float[] X = {1, 2, 3, 4};

    static RequestSpecification management() {
        return given().header("Authorization", "Bearer " + TrafficProfile.TOKEN);
    }

    static Response putTraffic(String function, String body) {
        return management().contentType(ContentType.JSON).body(body).put("/functions/" + function + "/traffic");
    }

    static String traffic(String function) {
        return given().get("/functions/" + function + "/traffic").then().statusCode(200).extract().asString();
    }

    /** Invokes linear on {@link #X} and returns the version that the output values prove served it. */
    static int servedVersion(RequestSpecification request, String path) {
        JsonPath r = request.contentType(ContentType.JSON)
                .body("{\"inputs\": [{\"name\": \"x\", \"shape\": [1, 4], \"datatype\": \"FP32\", \"data\": [1, 2, 3, 4]}]}")
                .post(path).then().statusCode(200).extract().jsonPath();
        List<Float> y = r.getList("outputs[0].data", Float.class);
        int byValues = versionOf(y.get(0), y.get(1));
        assertThat(r.getString("model_version")).isEqualTo(String.valueOf(byValues));
        return byValues;
    }

    static int versionOf(float y0, float y1) {
        float[] v1 = FixtureModels.applyLinear(X, FixtureModels.LINEAR_W1, FixtureModels.LINEAR_B1);
        float[] v2 = FixtureModels.applyLinear(X, FixtureModels.LINEAR_W2, FixtureModels.LINEAR_B2);
        if (y0 == v1[0] && y1 == v1[1]) {
            return 1;
        }
        if (y0 == v2[0] && y1 == v2[1]) {
            return 2;
        }
        throw new AssertionError("output [" + y0 + ", " + y1 + "] is neither version's");
    }

    @BeforeEach
    void stableTakesAll() {
        putTraffic("linear", STABLE_ONLY).then().statusCode(200);
    }

    @Test
    void getShowsTheSplitInForce() {
        assertThat(traffic("linear")).isEqualTo(STABLE_ONLY);
        // no shares configured: the highest version takes all, untagged
        assertThat(traffic("add")).isEqualTo("{\"traffic\":[{\"version\":\"1\",\"percent\":100}]}");
        given().get("/functions/nope/traffic").then().statusCode(404).body("error", containsString("nope"));
    }

    @Test
    void putReplacesTheSplitAndGetReadsItBack() {
        String body = "{\"traffic\": [{\"version\": \"2\", \"percent\": 70, \"tag\": \"candidate\"},"
                + " {\"version\": \"1\", \"percent\": 30, \"tag\": \"stable\"}]}";
        String expected = "{\"traffic\":[{\"version\":\"1\",\"percent\":30,\"tag\":\"stable\"},"
                + "{\"version\":\"2\",\"percent\":70,\"tag\":\"candidate\"}]}";
        assertThat(putTraffic("linear", body).then().statusCode(200).contentType(ContentType.JSON)
                .extract().asString()).isEqualTo(expected);
        assertThat(traffic("linear")).isEqualTo(expected);
        assertThat(Metrics.value("ember_traffic_percent", "function", "linear", "version", "1")).isEqualTo(30);
        assertThat(Metrics.value("ember_traffic_percent", "function", "linear", "version", "2")).isEqualTo(70);

        // what GET returns is a valid PUT body
        assertThat(putTraffic("linear", traffic("linear")).then().statusCode(200).extract().asString())
                .isEqualTo(expected);
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', quoteCharacter = '`', value = {
            "sum not 100      | {\"traffic\": [{\"version\": \"1\", \"percent\": 60}, {\"version\": \"2\", \"percent\": 30}]} | the percents of function 'linear' sum to 90, not 100",
            "unknown version  | {\"traffic\": [{\"version\": \"1\", \"percent\": 100}, {\"version\": \"3\", \"percent\": 0}]} | function 'linear' has no version 3",
            "version twice    | {\"traffic\": [{\"version\": \"1\", \"percent\": 50}, {\"version\": \"1\", \"percent\": 50}]} | version 1 is listed twice",
            "tag twice        | {\"traffic\": [{\"version\": \"1\", \"percent\": 50, \"tag\": \"a\"}, {\"version\": \"2\", \"percent\": 50, \"tag\": \"a\"}]} | the tag 'a' is given to versions 1 and 2",
            "invalid tag      | {\"traffic\": [{\"version\": \"1\", \"percent\": 100, \"tag\": \"two words\"}]} | the tag 'two words' of version 1 is not a valid tag",
            "percent over 100 | {\"traffic\": [{\"version\": \"1\", \"percent\": 101}]} | 'traffic[0].percent' must be an integer from 0 to 100",
            "negative percent | {\"traffic\": [{\"version\": \"2\", \"percent\": 100}, {\"version\": \"1\", \"percent\": -5}]} | 'traffic[1].percent' must be an integer from 0 to 100",
            "percent missing  | {\"traffic\": [{\"version\": \"1\"}]} | 'traffic[0].percent' must be an integer from 0 to 100",
            "version missing  | {\"traffic\": [{\"percent\": 100}]} | 'traffic[0].version' must be a version number",
            "version not int  | {\"traffic\": [{\"version\": \"v2\", \"percent\": 100}]} | 'traffic[0].version' must be a version number",
            "unknown field    | {\"traffic\": [{\"version\": \"1\", \"percent\": 100, \"weight\": 1}]} | 'traffic[0].weight' is not a field",
            "no traffic       | {\"split\": []} | 'split' is not a field",
            "traffic not list | {\"traffic\": {\"version\": \"1\"}} | 'traffic' must be an array",
            "empty traffic    | {\"traffic\": []} | it must name at least one version",
            "not an object    | [1, 2] | the body must be a JSON object",
            "malformed JSON   | {\"traffic\": [ | malformed JSON",
    })
    void aBadSplitIs400AndChangesNothing(String name, String body, String message) {
        putTraffic("linear", body).then().statusCode(400).contentType(ContentType.JSON)
                .body("error", containsString(message));
        assertThat(traffic("linear")).isEqualTo(STABLE_ONLY);
        assertThat(Metrics.value("ember_traffic_percent", "function", "linear", "version", "1")).isEqualTo(100);
        assertThat(servedVersion(given(), "/functions/linear")).isEqualTo(1);
    }

    @Test
    void anEmptyOrNonJsonBodyIsRefused() {
        management().contentType(ContentType.JSON).put("/functions/linear/traffic").then().statusCode(400)
                .body("error", containsString("empty"));
        management().contentType(ContentType.TEXT).body(CANDIDATE_ONLY).put("/functions/linear/traffic").then()
                .statusCode(415);
        assertThat(traffic("linear")).isEqualTo(STABLE_ONLY);
    }

    @Test
    void putToAnUnknownFunctionIs404() {
        putTraffic("nope", CANDIDATE_ONLY).then().statusCode(404).body("error", containsString("unknown function 'nope'"));
    }

    @Test
    void writesNeedTheManagementToken() {
        given().contentType(ContentType.JSON).body(CANDIDATE_ONLY).put("/functions/linear/traffic").then()
                .statusCode(401).header("WWW-Authenticate", "Bearer realm=\"ember\"")
                .body("error", containsString("Authorization"));
        given().header("Authorization", "Bearer not-the-token").contentType(ContentType.JSON).body(CANDIDATE_ONLY)
                .put("/functions/linear/traffic").then().statusCode(401)
                .header("WWW-Authenticate", "Bearer realm=\"ember\", error=\"invalid_token\"")
                .body("error", containsString("not the management token"));
        // the token with a suffix, and the token in another scheme, are not the token
        given().header("Authorization", "Bearer " + TrafficProfile.TOKEN + "x").contentType(ContentType.JSON)
                .body(CANDIDATE_ONLY).put("/functions/linear/traffic").then().statusCode(401);
        given().header("Authorization", "Basic " + TrafficProfile.TOKEN).contentType(ContentType.JSON)
                .body(CANDIDATE_ONLY).put("/functions/linear/traffic").then().statusCode(401);
        assertThat(traffic("linear")).isEqualTo(STABLE_ONLY);

        // the scheme is case-insensitive (RFC 7235)
        given().header("Authorization", "bearer " + TrafficProfile.TOKEN).contentType(ContentType.JSON)
                .body(CANDIDATE_ONLY).put("/functions/linear/traffic").then().statusCode(200);
        assertThat(traffic("linear")).isEqualTo(CANDIDATE_ONLY);
    }

    @Test
    void aVersionAtZeroKeepsServingItsTagAndPins() {
        for (int i = 0; i < 20; i++) {
            assertThat(servedVersion(given(), "/functions/linear")).isEqualTo(1);
        }
        assertThat(servedVersion(given().header("Ember-Tag", "candidate"), "/functions/linear")).isEqualTo(2);
        assertThat(servedVersion(given(), "/functions/linear/versions/2")).isEqualTo(2);
        assertThat(servedVersion(given().header("Ember-Tag", "candidate"), "/v2/models/linear/infer")).isEqualTo(2);
        given().header("Ember-Tag", "candidate").contentType(ContentType.JSON)
                .body("{\"inputs\": [{\"name\": \"x\", \"shape\": [1, 4], \"datatype\": \"FP32\", \"data\": [1, 2, 3, 4]}]}")
                .post("/functions/linear").then().statusCode(200).header("Ember-Version", "2");

        putTraffic("linear", CANDIDATE_ONLY).then().statusCode(200);
        for (int i = 0; i < 20; i++) {
            assertThat(servedVersion(given(), "/functions/linear")).isEqualTo(2);
        }
        assertThat(servedVersion(given().header("Ember-Tag", "stable"), "/functions/linear")).isEqualTo(1);
        assertThat(servedVersion(given(), "/functions/linear/versions/1")).isEqualTo(1);
        given().header("Ember-Tag", "nightly").contentType(ContentType.JSON)
                .body("{\"inputs\": [{\"name\": \"x\", \"shape\": [1, 4], \"datatype\": \"FP32\", \"data\": [1, 2, 3, 4]}]}")
                .post("/functions/linear").then().statusCode(404).body("error", containsString("'nightly'"));
    }

    @Test
    void invocationsAreCountedPerVersion() {
        double v1 = Metrics.value("ember_invocations_total", "function", "linear", "version", "1", "outcome", "success");
        double v2 = Metrics.value("ember_invocations_total", "function", "linear", "version", "2", "outcome", "success");
        for (int i = 0; i < 3; i++) {
            servedVersion(given(), "/functions/linear");
        }
        servedVersion(given().header("Ember-Tag", "candidate"), "/functions/linear");
        awaitMetric(v1 + 3, "ember_invocations_total", "function", "linear", "version", "1", "outcome", "success");
        awaitMetric(v2 + 1, "ember_invocations_total", "function", "linear", "version", "2", "outcome", "success");
        assertThat(Metrics.value("ember_traffic_percent", "function", "linear", "version", "1")).isEqualTo(100);
        assertThat(Metrics.value("ember_traffic_percent", "function", "linear", "version", "2")).isZero();
    }

    @Test
    void embedShipsTheQuantizedModelAsItsCandidate() {
        assertThat(traffic("embed")).isEqualTo("{\"traffic\":[{\"version\":\"1\",\"percent\":100,\"tag\":\"stable\"},"
                + "{\"version\":\"2\",\"percent\":0,\"tag\":\"candidate\"}]}");
        String body = "{\"input\": \"A man is playing a guitar.\"}";
        float[] stable = embedding(given(), "/functions/embed", body, "1");
        float[] candidate = embedding(given().header("Ember-Tag", "candidate"), "/functions/embed", body, "2");
        float[] pinned = embedding(given(), "/functions/embed/versions/2", body, "2");
        // the OpenAI endpoint honours the tag too
        given().header("Ember-Tag", "candidate").contentType(ContentType.JSON)
                .body("{\"model\": \"embed\", \"input\": \"A man is playing a guitar.\"}").post("/v1/embeddings")
                .then().statusCode(200).header("Ember-Version", "2");

        assertThat(candidate).hasSize(384);
        assertThat(cosine(candidate, candidate)).isCloseTo(1.0, org.assertj.core.data.Offset.offset(1e-5));
        assertThat(cosine(candidate, pinned)).isGreaterThan(0.99999);
        // the same sentence embedding, from int8 weights: close, not identical
        assertThat(cosine(stable, candidate)).isGreaterThan(0.95).isLessThan(0.99999);

        given().get("/v2/models/embed/versions/2").then().statusCode(200)
                .body("inputs.name", equalTo(given().get("/v2/models/embed/versions/1").then().extract()
                        .jsonPath().getList("inputs.name")));
    }

    @Test
    void theQuantizedCandidateRunsUnbatched() throws Exception {
        double runs = Metrics.value("ember_batch_size_rows_count", "function", "embed", "version", "2");
        double rows = Metrics.value("ember_batch_size_rows_sum", "function", "embed", "version", "2");
        int requests = 24;
        ExecutorService clients = Executors.newFixedThreadPool(8);
        try {
            List<Future<Integer>> statuses = new ArrayList<>();
            for (int i = 0; i < requests; i++) {
                String body = "{\"input\": \"sentence number " + i + " of a concurrent burst\"}";
                statuses.add(clients.submit(() -> given().contentType(ContentType.JSON).body(body)
                        .post("/functions/embed/versions/2").then().extract().statusCode()));
            }
            for (Future<Integer> status : statuses) {
                assertThat(status.get()).isEqualTo(200);
            }
        } finally {
            clients.shutdownNow();
        }
        // every model run carried exactly one request's single row, however many requests were queued together
        assertThat(Metrics.value("ember_batch_size_rows_count", "function", "embed", "version", "2"))
                .isEqualTo(runs + requests);
        assertThat(Metrics.value("ember_batch_size_rows_sum", "function", "embed", "version", "2"))
                .isEqualTo(rows + requests);
        assertThat(Metrics.value("ember_batch_size_rows_max", "function", "embed", "version", "2")).isEqualTo(1);
    }

    /** Waits for a meter to reach a value: an invocation is counted just after its response is handed over. */
    static void awaitMetric(double expected, String name, String... labels) {
        long deadline = System.nanoTime() + 10_000_000_000L;
        double value = Metrics.value(name, labels);
        while (value != expected && System.nanoTime() < deadline) {
            Thread.onSpinWait();
            value = Metrics.value(name, labels);
        }
        assertThat(value).as("%s %s", name, String.join(",", labels)).isEqualTo(expected);
    }

    static float[] embedding(RequestSpecification request, String path, String body, String version) {
        List<Float> v = request.contentType(ContentType.JSON).body(body).post(path).then().statusCode(200)
                .header("Ember-Version", version).extract().jsonPath().getList("data[0].embedding", Float.class);
        float[] out = new float[v.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = v.get(i);
        }
        return out;
    }

    static double cosine(float[] a, float[] b) {
        double dot = 0;
        double na = 0;
        double nb = 0;
        for (int i = 0; i < a.length; i++) {
            dot += a[i] * b[i];
            na += a[i] * a[i];
            nb += b[i] * b[i];
        }
        return dot / Math.sqrt(na * nb);
    }
}
