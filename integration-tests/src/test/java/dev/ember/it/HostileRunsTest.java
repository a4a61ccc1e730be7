package dev.ember.it;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.allOf;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.not;

import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.response.Response;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A hostile client's values: ids outside the vocabulary are 400 and never take the model offline, an output shape
 * chosen by the request is refused (413) before it reaches the heap, and external data beside a model is served.
 */
@QuarkusTest
@WithTestResource(HostileRunsRepository.class)
public class HostileRunsTest {

    static Response infer(String model, String body) {
        return given().contentType(ContentType.JSON).body(body).when().post("/v2/models/" + model + "/infer");
    }

    static String ids(long... ids) {
        StringBuilder data = new StringBuilder();
        for (long id : ids) {
            data.append(data.length() == 0 ? "" : ",").append(id);
        }
        return "{\"inputs\": [{\"name\": \"input_ids\", \"shape\": [1, " + ids.length
                + "], \"datatype\": \"INT64\", \"data\": [" + data + "]}]}";
    }

    @Test
    void outOfVocabularyIdsAre400AndNeverOpenTheCircuit() {
        for (int i = 0; i < 10; i++) {
            infer("vocab", ids(1, 30522)).then().statusCode(400).contentType(ContentType.JSON)
                    .body("error", allOf(containsString("an index is out of range"), not(containsString("30522")),
                            not(containsString("onnxruntime_src"))));
        }
        infer("vocab", ids(3, 0)).then().statusCode(200)
                .body("outputs[0].data", equalTo(List.of(7f, 8f, 1f, 2f)));
    }

    @Test
    void anOutputShapeChosenByTheRequestIsRefusedBeforeItIsCopied() {
        // 32 Mi floats: twice the default limit of 16777216 elements
        infer("fill", "{\"inputs\": [{\"name\": \"shape\", \"shape\": [3], \"datatype\": \"INT64\","
                + " \"data\": [32, 1024, 1024]}]}").then().statusCode(413)
                .body("error", allOf(containsString("'y'"), containsString("16777216"),
                        containsString("ember.limits.max-output-elements")));
        infer("fill", "{\"inputs\": [{\"name\": \"shape\", \"shape\": [3], \"datatype\": \"INT64\","
                + " \"data\": [1, 2, 2]}]}").then().statusCode(200)
                .body("outputs[0].shape", equalTo(List.of(1, 2, 2)));
        given().get("/v2/health/live").then().statusCode(200);
    }

    @Test
    void externalDataBesideTheModelIsServed() {
        infer("external", "{\"inputs\": [{\"name\": \"x\", \"shape\": [1, 3], \"datatype\": \"FP32\","
                + " \"data\": [1, 2, 3]}]}").then().statusCode(200)
                .body("outputs[0].data", equalTo(List.of(11f, 22f, 33f)));
    }
}
