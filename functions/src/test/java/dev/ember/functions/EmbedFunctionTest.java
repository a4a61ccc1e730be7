package dev.ember.functions;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.containsString;

import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.path.json.JsonPath;
import java.util.List;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.Test;

/** The bundled {@code embed} function as shipped: its defaults, the {@code dimensions} rule and truncation at 256 tokens. */
@QuarkusTest
class EmbedFunctionTest {

    static final String TEN_WORDS = "one two three four five six seven eight nine ten";
    static final String SIX_WORDS = "one two three four five six";

    static JsonPath embed(String body) {
        return given().contentType(ContentType.JSON).body(body).post("/functions/embed").then().statusCode(200)
                .extract().jsonPath();
    }

    static float[] vector(JsonPath r, int index) {
        List<Float> v = r.getList("data[" + index + "].embedding", Float.class);
        float[] out = new float[v.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = v.get(i);
        }
        return out;
    }

    static double dot(float[] a, float[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            s += (double) a[i] * b[i];
        }
        return s;
    }

    @Test
    void theMatchingDimensionsReturnVectorsOfThatSize() {
        JsonPath r = embed("{\"input\": [\"a guitar\", \"a violin\"], \"dimensions\": 384}");
        assertThat(r.getList("data")).hasSize(2);
        for (int i = 0; i < 2; i++) {
            float[] v = vector(r, i);
            assertThat(v).hasSize(384);
            assertThat(dot(v, v)).as("L2-normalised").isCloseTo(1.0, Offset.offset(1e-5));
        }
    }

    @Test
    void otherDimensionsAreRefusedNamingTheField() {
        given().contentType(ContentType.JSON).body("{\"input\": \"a guitar\", \"dimensions\": 128}")
                .post("/functions/embed").then().statusCode(400).contentType(ContentType.JSON)
                .body("error", containsString("'dimensions' 128"))
                .body("error", containsString("384"));
    }

    @Test
    void textsBeyondTheDefault256TokensAreTruncatedAndSaySo() {
        JsonPath r = embed("{\"input\": [\"" + "word ".repeat(600) + "\", \"short\"]}");
        assertThat(r.getBoolean("data[0].truncated")).isTrue();
        assertThat(r.getString("data[1].truncated")).isNull();
        // 256 for the cut text; [CLS] short [SEP] for the other
        assertThat(r.getInt("usage.prompt_tokens")).isEqualTo(256 + 3);
    }

    @Test
    void tenWordsAreNotCutAtTheDefaultLimit() {
        // the counterpart of EmbedMaxTokensTest: under 256 tokens the last four words change the vector
        JsonPath r = embed("{\"input\": [\"" + TEN_WORDS + "\", \"" + SIX_WORDS + "\"]}");
        assertThat(r.getString("data[0].truncated")).isNull();
        assertThat(r.getInt("usage.prompt_tokens")).isEqualTo(12 + 8);
        assertThat(dot(vector(r, 0), vector(r, 1))).isLessThan(0.999);
    }
}
