package dev.ember.it;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItems;
import static org.hamcrest.Matchers.is;

import dev.ember.runtime.testing.FixtureModels;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.path.json.JsonPath;
import io.restassured.response.Response;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Open Inference Protocol v2 over the fixture repository: metadata, exact inference per datatype, every error. */
@QuarkusTest
@WithTestResource(FixtureRepository.class)
public class ProtocolTest {

    static Response infer(String path, String body) {
        return given().contentType(ContentType.JSON).body(body).when().post(path);
    }

    @Test
    void serverMetadataAndHealth() {
        given().get("/v2").then().statusCode(200).body("name", equalTo("ember"))
                .body("extensions", hasItems("model_repository"));
        given().get("/v2/health/live").then().statusCode(200).body("live", is(true));
        given().get("/v2/health/ready").then().statusCode(200).body("ready", is(true));
        given().get("/q/health/ready").then().statusCode(200).body("status", equalTo("UP"));
        given().get("/q/health/live").then().statusCode(200);
    }

    @Test
    void modelMetadataComesFromTheModel() {
        given().get("/v2/models/add").then().statusCode(200)
                .body("name", equalTo("add"))
                .body("platform", equalTo("onnxruntime_onnx"))
                .body("versions", equalTo(List.of("1")))
                .body("inputs.name", equalTo(List.of("a", "b")))
                .body("inputs[0].datatype", equalTo("FP32"))
                .body("inputs[0].shape", equalTo(List.of(-1, 3)))
                .body("outputs[0].name", equalTo("sum"))
                .body("outputs[0].shape", equalTo(List.of(-1, 3)));
        given().get("/v2/models/linear").then().statusCode(200).body("versions", equalTo(List.of("1", "2")));
        given().get("/v2/models/linear/versions/1").then().statusCode(200)
                .body("outputs[0].shape", equalTo(List.of(-1, 2)));
        given().get("/v2/models/fixed_shape").then().statusCode(200)
                .body("inputs[0].shape", equalTo(List.of(2, 3)));
        given().get("/v2/models/identity_string").then().statusCode(200)
                .body("inputs[0].datatype", equalTo("BYTES")).body("inputs[0].shape", equalTo(List.of(-1)));
        given().get("/v2/models/identity_uint32").then().statusCode(200)
                .body("inputs[0].datatype", equalTo("UINT32"));
        given().get("/v2/models/two_outputs").then().statusCode(200)
                .body("outputs.name", equalTo(List.of("neg", "abs")));
    }

    @Test
    void modelReadiness() {
        given().get("/v2/models/add/ready").then().statusCode(200).body("ready", is(true));
        given().get("/v2/models/linear/versions/2/ready").then().statusCode(200);
        given().get("/v2/models/nope/ready").then().statusCode(404).body("error", containsString("nope"));
        given().get("/v2/models/linear/versions/9/ready").then().statusCode(404).body("error", containsString("9"));
    }

    @Test
    void addReturnsExactSums() {
        JsonPath r = infer("/v2/models/add/infer", """
                {"id": "req-42", "parameters": {"trace": true, "n": 3},
                 "inputs": [{"name": "a", "shape": [2, 3], "datatype": "FP32", "data": [[1, 2, 3], [4, 5, 6]]},
                            {"name": "b", "shape": [2, 3], "datatype": "FP32", "data": [0.5, 0.25, -3, 10, 20, 30]}]}
                """).then().statusCode(200).header("Ember-Version", "1").extract().jsonPath();
        assertThat(r.getString("model_name")).isEqualTo("add");
        assertThat(r.getString("model_version")).isEqualTo("1");
        assertThat(r.getString("id")).isEqualTo("req-42");
        assertThat(r.getBoolean("parameters.trace")).isTrue();
        assertThat(r.getInt("parameters.n")).isEqualTo(3);
        assertThat(r.getString("outputs[0].name")).isEqualTo("sum");
        assertThat(r.getString("outputs[0].datatype")).isEqualTo("FP32");
        assertThat(r.getList("outputs[0].shape", Integer.class)).containsExactly(2, 3);
        assertThat(r.getList("outputs[0].data", Float.class)).containsExactly(1.5f, 2.25f, 0f, 14f, 25f, 36f);
    }

    @Test
    void versionsServeTheirOwnWeights() {
        float[] x = {1, 2, 3, 4};
        String body = """
                {"inputs": [{"name": "x", "shape": [1, 4], "datatype": "FP32", "data": [1, 2, 3, 4]}]}""";
        float[] v1 = FixtureModels.applyLinear(x, FixtureModels.LINEAR_W1, FixtureModels.LINEAR_B1);
        float[] v2 = FixtureModels.applyLinear(x, FixtureModels.LINEAR_W2, FixtureModels.LINEAR_B2);
        assertThat(infer("/v2/models/linear/versions/1/infer", body).then().statusCode(200).extract().jsonPath()
                .getList("outputs[0].data", Float.class)).containsExactly(v1[0], v1[1]);
        // no version: the highest version serves
        JsonPath latest = infer("/v2/models/linear/infer", body).then().statusCode(200).extract().jsonPath();
        assertThat(latest.getString("model_version")).isEqualTo("2");
        assertThat(latest.getList("outputs[0].data", Float.class)).containsExactly(v2[0], v2[1]);
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', quoteCharacter = '`', value = {
            "identity_int8   | INT8  | [[-128, 127], [0, -5]]          | [-128,127,0,-5]",
            "identity_uint8  | UINT8 | [0, 255, 7, 128]                | [0,255,7,128]",
            "identity_int16  | INT16 | [-32768, 32767, 1, 2]           | [-32768,32767,1,2]",
            "identity_int32  | INT32 | [-2147483648, 2147483647, 0, 9] | [-2147483648,2147483647,0,9]",
            "identity_int64  | INT64 | [9007199254740993, -9223372036854775808, 1, 2] | [9007199254740993,-9223372036854775808,1,2]",
            "identity_fp16   | FP16  | [0.5, -2.25, 65504, 0.0009765625] | [0.5,-2.25,65504.0,9.765625E-4]",
            "identity_fp32   | FP32  | [1.5, -0.125, 1.0e10, 0]        | [1.5,-0.125,1.0E10,0.0]",
            "identity_fp64   | FP64  | [0.1, -1.0e300, 2.5, 3]         | [0.1,-1.0E300,2.5,3.0]",
            "identity_bool   | BOOL  | [true, false, false, true]      | [true,false,false,true]",
    })
    void everyDatatypeRoundTripsExactly(String model, String datatype, String data, String expected) {
        String body = "{\"inputs\": [{\"name\": \"x\", \"shape\": [2, 2], \"datatype\": \"" + datatype
                + "\", \"data\": " + data + "}]}";
        String response = infer("/v2/models/" + model + "/infer", body).then().statusCode(200)
                .body("outputs[0].datatype", equalTo(datatype)).body("outputs[0].shape", equalTo(List.of(2, 2)))
                .extract().asString();
        String out = response.substring(response.indexOf("\"data\":") + 7, response.lastIndexOf("]}]}") + 1);
        assertThat(out.replace(" ", "")).isEqualTo(expected.trim());
    }

    @Test
    void bytesAreStrings() {
        infer("/v2/models/identity_string/infer", """
                {"inputs": [{"name": "x", "shape": [3], "datatype": "BYTES", "data": ["héllo", "", "a\\"b"]}]}""")
                .then().statusCode(200).body("outputs[0].datatype", equalTo("BYTES"))
                .body("outputs[0].data", equalTo(List.of("héllo", "", "a\"b")));
    }

    @Test
    void integerModelComputes() {
        infer("/v2/models/scale_int64/infer", """
                {"inputs": [{"name": "x", "shape": [2, 2], "datatype": "INT64", "data": [[1, -2], [3000000000, 0]]}]}""")
                .then().statusCode(200).body("outputs[0].data", equalTo(List.of(3, -6, 9000000000L, 0)));
    }

    @Test
    void unsignedWideTypesAreRefusedClearly() {
        infer("/v2/models/identity_uint32/infer", """
                {"inputs": [{"name": "x", "shape": [1, 1], "datatype": "UINT32", "data": [1]}]}""")
                .then().statusCode(400).body("error", containsString("UINT32"));
    }

    @Test
    void outputsSelectionReturnsOnlyThoseAsked() {
        JsonPath r = infer("/v2/models/two_outputs/infer", """
                {"inputs": [{"name": "x", "shape": [1, 2], "datatype": "FP32", "data": [-1.5, 2]}],
                 "outputs": [{"name": "abs"}]}""").then().statusCode(200).extract().jsonPath();
        assertThat(r.getList("outputs.name", String.class)).containsExactly("abs");
        assertThat(r.getList("outputs[0].data", Float.class)).containsExactly(1.5f, 2f);
        JsonPath all = infer("/v2/models/two_outputs/infer", """
                {"inputs": [{"name": "x", "shape": [1, 2], "datatype": "FP32", "data": [-1.5, 2]}]}""")
                .then().statusCode(200).extract().jsonPath();
        assertThat(all.getList("outputs.name", String.class)).containsExactly("neg", "abs");
        assertThat(all.getList("outputs[0].data", Float.class)).containsExactly(1.5f, -2f);
    }

    @Test
    void plainModelsAreFunctionsToo() {
        given().contentType(ContentType.JSON).body("""
                {"inputs": [{"name": "x", "shape": [1, 2], "datatype": "FP32", "data": [-1, 4]}]}""")
                .post("/functions/two_outputs/versions/1").then().statusCode(200).header("Ember-Version", "1")
                .body("model_name", equalTo("two_outputs")).body("outputs[1].data", equalTo(List.of(1.0f, 4.0f)));
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', quoteCharacter = '`', value = {
            "unknown model     | /v2/models/nope/infer               | 404 | nope",
            "unknown version   | /v2/models/add/versions/7/infer      | 404 | version",
            "version not a num | /v2/models/add/versions/x/infer      | 404 | version",
            "unknown function  | /functions/nope                      | 404 | nope",
    })
    void unknownTargets(String name, String path, int status, String mentions) {
        infer(path, "{\"inputs\": []}").then().statusCode(status).contentType(ContentType.JSON)
                .body("error", containsString(mentions));
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', quoteCharacter = '`', value = {
            "wrong datatype    | 400 | datatype INT32 | {\"inputs\": [{\"name\": \"a\", \"shape\": [1, 3], \"datatype\": \"INT32\", \"data\": [1, 2, 3]}, {\"name\": \"b\", \"shape\": [1, 3], \"datatype\": \"FP32\", \"data\": [1, 2, 3]}]}",
            "unknown datatype  | 400 | inputs[0].datatype | {\"inputs\": [{\"name\": \"a\", \"shape\": [1, 3], \"datatype\": \"FP8\", \"data\": [1, 2, 3]}]}",
            "wrong shape       | 400 | 'a' has shape  | {\"inputs\": [{\"name\": \"a\", \"shape\": [1, 4], \"datatype\": \"FP32\", \"data\": [1, 2, 3, 4]}, {\"name\": \"b\", \"shape\": [1, 3], \"datatype\": \"FP32\", \"data\": [1, 2, 3]}]}",
            "wrong rank        | 400 | 'b' has shape  | {\"inputs\": [{\"name\": \"a\", \"shape\": [1, 3], \"datatype\": \"FP32\", \"data\": [1, 2, 3]}, {\"name\": \"b\", \"shape\": [3], \"datatype\": \"FP32\", \"data\": [1, 2, 3]}]}",
            "missing input     | 400 | missing input 'b' | {\"inputs\": [{\"name\": \"a\", \"shape\": [1, 3], \"datatype\": \"FP32\", \"data\": [1, 2, 3]}]}",
            "unknown input     | 400 | unknown input 'c' | {\"inputs\": [{\"name\": \"c\", \"shape\": [1, 3], \"datatype\": \"FP32\", \"data\": [1, 2, 3]}]}",
            "length mismatch   | 400 | 'a' has 2 values  | {\"inputs\": [{\"name\": \"a\", \"shape\": [1, 3], \"datatype\": \"FP32\", \"data\": [1, 2]}, {\"name\": \"b\", \"shape\": [1, 3], \"datatype\": \"FP32\", \"data\": [1, 2, 3]}]}",
            "string as number  | 400 | must be numbers   | {\"inputs\": [{\"name\": \"a\", \"shape\": [1, 3], \"datatype\": \"FP32\", \"data\": [\"x\", 2, 3]}, {\"name\": \"b\", \"shape\": [1, 3], \"datatype\": \"FP32\", \"data\": [1, 2, 3]}]}",
            "missing inputs    | 400 | 'inputs' is required | {\"id\": \"1\"}",
            "shape not ints    | 400 | inputs[0].shape   | {\"inputs\": [{\"name\": \"a\", \"shape\": [-1, 3], \"datatype\": \"FP32\", \"data\": [1]}]}",
            "unknown output    | 400 | unknown output 'nope' | {\"inputs\": [{\"name\": \"a\", \"shape\": [1, 3], \"datatype\": \"FP32\", \"data\": [1, 2, 3]}, {\"name\": \"b\", \"shape\": [1, 3], \"datatype\": \"FP32\", \"data\": [1, 2, 3]}], \"outputs\": [{\"name\": \"nope\"}]}",
            "malformed JSON    | 400 | malformed JSON    | {\"inputs\": [",
            "not an object     | 400 | JSON object       | [1, 2]",
            "huge shape        | 413 | max-tensor-elements | {\"inputs\": [{\"name\": \"a\", \"shape\": [1000000000, 3], \"datatype\": \"FP32\", \"data\": [1, 2, 3]}]}",
    })
    void badRequestsNameWhatIsWrong(String name, int status, String mentions, String body) {
        infer("/v2/models/add/infer", body).then().statusCode(status).contentType(ContentType.JSON)
                .body("error", containsString(mentions));
    }

    @Test
    void integerOutOfRangeIsRefused() {
        infer("/v2/models/identity_int8/infer", """
                {"inputs": [{"name": "x", "shape": [1, 1], "datatype": "INT8", "data": [300]}]}""")
                .then().statusCode(400).body("error", containsString("out of range"));
    }

    @Test
    void fixedShapeModelChecksEveryDimension() {
        infer("/v2/models/fixed_shape/infer", """
                {"inputs": [{"name": "x", "shape": [1, 3], "datatype": "FP32", "data": [1, 2, 3]}]}""")
                .then().statusCode(400).body("error", containsString("[2, 3]"));
        infer("/v2/models/fixed_shape/infer", """
                {"inputs": [{"name": "x", "shape": [2, 3], "datatype": "FP32", "data": [-1, 2, -3, 4, -5, 6]}]}""")
                .then().statusCode(200).body("outputs[0].data", equalTo(List.of(0f, 2f, 0f, 4f, 0f, 6f)));
    }

    @Test
    void bodyOverTheLimitIs413() {
        String big = "{\"inputs\": [], \"pad\": \"" + "x".repeat(1_100_000) + "\"}";
        infer("/v2/models/add/infer", big).then().statusCode(413).contentType(ContentType.JSON)
                .body("error", containsString("limit"));
    }

    @Test
    void aBrokenModelFailsAloneWithItsCause() {
        infer("/v2/models/corrupt/infer", "{\"inputs\": []}").then().statusCode(503)
                .header("Retry-After", org.hamcrest.Matchers.notNullValue())
                .body("error", containsString("corrupt"));
        infer("/v2/models/add_pinned_wrong/infer", "{\"inputs\": []}").then().statusCode(503)
                .body("error", containsString("sha256"));
        given().get("/v2/models/add_pinned_wrong/ready").then().statusCode(503).body("state", equalTo("failed"));
        // everything else keeps serving, including the same model pinned to its true checksum
        infer("/v2/models/add_pinned/infer", """
                {"inputs": [{"name": "a", "shape": [1, 3], "datatype": "FP32", "data": [1, 2, 3]},
                            {"name": "b", "shape": [1, 3], "datatype": "FP32", "data": [1, 1, 1]}]}""")
                .then().statusCode(200).body("outputs[0].data", equalTo(List.of(2f, 3f, 4f)));
        given().get("/v2/health/ready").then().statusCode(200);
    }

    @Test
    void invocationsAreCountedOnTheScrape() {
        String body = """
                {"inputs": [{"name": "x", "shape": [1, 2], "datatype": "FP32", "data": [1, 2]}]}""";
        double before = Metrics.value("ember_invocations_total", "function", "two_outputs", "outcome", "success");
        infer("/v2/models/two_outputs/infer", body).then().statusCode(200);
        infer("/v2/models/two_outputs/infer", body).then().statusCode(200);
        infer("/v2/models/two_outputs/infer", "{\"inputs\": 3}").then().statusCode(400);
        assertThat(Metrics.value("ember_invocations_total", "function", "two_outputs", "outcome", "success"))
                .isEqualTo(before + 2);
        assertThat(Metrics.value("ember_invocations_total", "function", "two_outputs", "outcome", "client_error"))
                .isGreaterThanOrEqualTo(1);
        assertThat(Metrics.value("ember_invocation_duration_seconds_count", "function", "two_outputs",
                "outcome", "success")).isGreaterThanOrEqualTo(2);
    }
}
