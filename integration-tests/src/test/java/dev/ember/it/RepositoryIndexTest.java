package dev.ember.it;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.containsString;

import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The repository index over the fixture repository, where (no token configured) the repository writes are off. */
@QuarkusTest
@WithTestResource(FixtureRepository.class)
public class RepositoryIndexTest {

    static Map<String, String> entry(String model, String version) {
        List<Map<String, String>> index = given().get("/v2/repository/index").then().statusCode(200)
                .contentType(ContentType.JSON).extract().jsonPath().getList("$");
        return index.stream().filter(e -> e.get("name").equals(model) && e.get("version").equals(version))
                .findFirst().orElseThrow(() -> new AssertionError(model + "/" + version + " not in " + index));
    }

    @Test
    void everyVersionIsListedWithItsState() {
        given().contentType(ContentType.JSON).body("""
                {"inputs": [{"name": "a", "shape": [1, 3], "datatype": "FP32", "data": [1, 2, 3]},
                            {"name": "b", "shape": [1, 3], "datatype": "FP32", "data": [1, 2, 3]}]}""")
                .post("/v2/models/add/infer").then().statusCode(200);
        given().contentType(ContentType.JSON).body("{\"inputs\": []}").post("/v2/models/corrupt/infer")
                .then().statusCode(503);

        assertThat(entry("add", "1")).containsEntry("state", "warm").doesNotContainKey("reason");
        assertThat(entry("linear", "2").get("state")).isIn("unloaded", "warm");
        assertThat(entry("corrupt", "1")).containsEntry("state", "failed").containsKey("reason");
        assertThat(entry("add_pinned_wrong", "1").get("state")).isIn("unloaded", "failed");
    }

    @Test
    void repositoryWritesAreOffWithoutAToken() {
        given().header("Authorization", "Bearer anything").post("/v2/repository/models/add/load").then()
                .statusCode(403).body("error", containsString("ember.management.token"));
        given().post("/v2/repository/models/add/unload").then().statusCode(403)
                .body("error", containsString("ember.management.token"));
        given().contentType(ContentType.JSON).body("{\"version\": \"1\"}").post("/v2/repository/models/linear/load")
                .then().statusCode(403);
        assertThat(entry("linear", "1").get("state")).isIn("unloaded", "warm");
    }
}
