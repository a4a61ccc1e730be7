package dev.ember.it;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.hasItem;

import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.path.json.JsonPath;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * What Triton's clients call beyond the core protocol: {@code POST /v2/repository/index} (Triton's verb, with an
 * optional {@code {"ready": true}}) and the statistics extension, whose figures follow the requests sent.
 */
@QuarkusTest
@WithTestResource(FixtureRepository.class)
public class TritonVerbsTest {

    static final String TWO_ROWS = """
            {"inputs": [{"name": "a", "shape": [2, 3], "datatype": "FP32", "data": [1, 2, 3, 4, 5, 6]},
                        {"name": "b", "shape": [2, 3], "datatype": "FP32", "data": [1, 1, 1, 1, 1, 1]}]}""";

    static List<Map<String, Object>> postIndex(String body) {
        var request = given();
        if (body != null) {
            request = request.contentType(ContentType.JSON).body(body);
        }
        return request.post("/v2/repository/index").then().statusCode(200).contentType(ContentType.JSON).extract()
                .jsonPath().getList("$");
    }

    static List<String> names(List<Map<String, Object>> index) {
        return index.stream().map(e -> e.get("name") + "/" + e.get("version")).sorted().toList();
    }

    static JsonPath stats(String path) {
        return given().get(path).then().statusCode(200).contentType(ContentType.JSON).extract().jsonPath();
    }

    @Test
    void postIndexListsWhatGetLists() {
        List<Map<String, Object>> get = given().get("/v2/repository/index").then().statusCode(200).extract()
                .jsonPath().getList("$");
        assertThat(names(postIndex(null))).isEqualTo(names(get)).contains("add/1", "linear/1", "linear/2");
        assertThat(names(postIndex("{}"))).isEqualTo(names(get));
        assertThat(names(postIndex("{\"ready\": false}"))).isEqualTo(names(get));
    }

    @Test
    void readyTrueLeavesOutWhatCannotServe() {
        given().contentType(ContentType.JSON).body("{\"inputs\": []}").post("/v2/models/corrupt/infer").then()
                .statusCode(503);
        List<String> ready = names(postIndex("{\"ready\": true}"));
        assertThat(ready).contains("add/1", "linear/1", "linear/2").doesNotContain("corrupt/1");
        assertThat(names(postIndex(null))).contains("corrupt/1");
    }

    @Test
    void aBadIndexBodyIs400NamingTheField() {
        given().contentType(ContentType.JSON).body("{\"ready\": \"yes\"}").post("/v2/repository/index").then()
                .statusCode(400).body("error", containsString("'ready'"));
        given().contentType(ContentType.JSON).body("[true]").post("/v2/repository/index").then().statusCode(400)
                .body("error", containsString("JSON object"));
        given().contentType(ContentType.JSON).body("{\"ready\": ").post("/v2/repository/index").then()
                .statusCode(400).body("error", containsString("malformed JSON"));
    }

    @Test
    void statisticsFollowTheRequests() {
        JsonPath before = stats("/v2/models/add/versions/1/stats");
        long since = System.currentTimeMillis();
        for (int i = 0; i < 3; i++) {
            given().contentType(ContentType.JSON).body(TWO_ROWS).post("/v2/models/add/infer").then().statusCode(200);
        }
        given().contentType(ContentType.JSON).body("""
                {"inputs": [{"name": "a", "shape": [1, 3], "datatype": "FP32", "data": [1, 2, 3]}]}""")
                .post("/v2/models/add/infer").then().statusCode(400);
        JsonPath after = stats("/v2/models/add/versions/1/stats");

        assertThat(after.getList("model_stats")).hasSize(1);
        assertThat(after.getString("model_stats[0].name")).isEqualTo("add");
        assertThat(after.getString("model_stats[0].version")).isEqualTo("1");
        assertThat(delta(before, after, "inference_count")).isEqualTo(6);
        assertThat(delta(before, after, "execution_count")).isEqualTo(3);
        assertThat(delta(before, after, "inference_stats.success.count")).isEqualTo(3);
        assertThat(delta(before, after, "inference_stats.success.ns")).isPositive();
        assertThat(delta(before, after, "inference_stats.fail.count")).isEqualTo(1);
        assertThat(delta(before, after, "inference_stats.queue.count")).isEqualTo(3);
        assertThat(delta(before, after, "inference_stats.compute_input.count")).isEqualTo(3);
        assertThat(delta(before, after, "inference_stats.compute_infer.count")).isEqualTo(3);
        assertThat(delta(before, after, "inference_stats.compute_infer.ns")).isPositive();
        assertThat(delta(before, after, "inference_stats.compute_output.count")).isEqualTo(3);
        assertThat(after.getLong("model_stats[0].last_inference")).isGreaterThanOrEqualTo(since);
        assertThat(batchRuns(after, 2) - batchRuns(before, 2)).isEqualTo(3);
        assertThat(after.getLong("model_stats[0].batch_stats.find { it.batch_size == 2 }.compute_infer.ns"))
                .isPositive();
    }

    @Test
    void statisticsWithoutAVersionCoverEveryVersion() {
        JsonPath all = stats("/v2/models/linear/stats");
        assertThat(all.getList("model_stats.version")).containsExactly("1", "2");
        assertThat(all.getList("model_stats.name")).containsOnly("linear");
        for (String key : List.of("success", "fail", "queue", "compute_input", "compute_infer", "compute_output")) {
            assertThat(all.getMap("model_stats[1].inference_stats." + key)).containsOnlyKeys("count", "ns");
        }
        assertThat(all.getList("model_stats[1].batch_stats")).isNotNull();
    }

    @Test
    void unknownModelsAndVersionsAre404() {
        given().get("/v2/models/nope/stats").then().statusCode(404).contentType(ContentType.JSON)
                .body("error", containsString("nope"));
        given().get("/v2/models/linear/versions/9/stats").then().statusCode(404)
                .body("error", containsString("9"));
        given().get("/v2/models/linear/versions/x/stats").then().statusCode(404);
    }

    @Test
    void theServerAnnouncesTheExtension() {
        given().get("/v2").then().statusCode(200).body("extensions", hasItem("statistics"));
    }

    private static long delta(JsonPath before, JsonPath after, String field) {
        return after.getLong("model_stats[0]." + field) - before.getLong("model_stats[0]." + field);
    }

    private static long batchRuns(JsonPath stats, int size) {
        List<Map<String, Object>> batches = stats.getList("model_stats[0].batch_stats");
        return batches.stream().filter(b -> ((Number) b.get("batch_size")).intValue() == size)
                .mapToLong(b -> ((Number) ((Map<?, ?>) b.get("compute_infer")).get("count")).longValue()).sum();
    }
}
