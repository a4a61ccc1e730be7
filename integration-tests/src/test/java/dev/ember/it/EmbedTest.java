package dev.ember.it;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.nullValue;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.path.json.JsonPath;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.LongBuffer;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The bundled {@code embed} function against an independent reference: the same model run through the raw ONNX
 * Runtime API in this test, with its own tokenization and pooling.
 */
@QuarkusTest
@WithTestResource(FixtureRepository.class)
public class EmbedTest {

    static final String GUITAR = "A man is playing a guitar.";
    static OrtSession reference;
    static HuggingFaceTokenizer tokenizer;

    @BeforeAll
    static void loadReference() throws Exception {
        ClassLoader cl = EmbedTest.class.getClassLoader();
        try (InputStream model = cl.getResourceAsStream("all-minilm-l6-v2.onnx");
                InputStream tok = cl.getResourceAsStream("all-minilm-l6-v2-tokenizer.json")) {
            reference = OrtEnvironment.getEnvironment().createSession(model.readAllBytes(), new OrtSession.SessionOptions());
            tokenizer = HuggingFaceTokenizer.newInstance(tok, Map.of("padding", "false", "truncation", "true",
                    "maxLength", "256"));
        }
    }

    @AfterAll
    static void close() throws Exception {
        reference.close();
        tokenizer.close();
    }

    /** The raw ONNX Runtime result for one text, alone: masked mean over the tokens, L2-normalised. */
    static float[] referenceEmbedding(String text) throws Exception {
        Encoding e = tokenizer.encode(text);
        long[] shape = {1, e.getIds().length};
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (OnnxTensor ids = OnnxTensor.createTensor(env, LongBuffer.wrap(e.getIds()), shape);
                OnnxTensor mask = OnnxTensor.createTensor(env, LongBuffer.wrap(e.getAttentionMask()), shape);
                OnnxTensor types = OnnxTensor.createTensor(env, LongBuffer.wrap(e.getTypeIds()), shape);
                OrtSession.Result r = reference.run(Map.of("input_ids", ids, "attention_mask", mask,
                        "token_type_ids", types))) {
            float[][] hidden = ((float[][][]) r.get(0).getValue())[0];
            float[] mean = new float[hidden[0].length];
            for (float[] token : hidden) {
                for (int d = 0; d < mean.length; d++) {
                    mean[d] += token[d] / hidden.length;
                }
            }
            double norm = 0;
            for (float v : mean) {
                norm += v * v;
            }
            for (int d = 0; d < mean.length; d++) {
                mean[d] /= (float) Math.sqrt(norm);
            }
            return mean;
        }
    }

    static JsonPath embed(String path, String body) {
        return given().contentType(ContentType.JSON).body(body).post(path).then().statusCode(200)
                .header("Ember-Version", "1").extract().jsonPath();
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
            s += a[i] * b[i];
        }
        return s;
    }

    static double maxAbsDiff(float[] a, float[] b) {
        double m = 0;
        for (int i = 0; i < a.length; i++) {
            m = Math.max(m, Math.abs(a[i] - b[i]));
        }
        return m;
    }

    @Test
    void oneTextMatchesRawOnnxRuntime() throws Exception {
        JsonPath r = embed("/functions/embed", "{\"input\": \"" + GUITAR + "\"}");
        assertThat(r.getString("object")).isEqualTo("list");
        assertThat(r.getString("model")).isEqualTo("embed");
        assertThat(r.getString("data[0].object")).isEqualTo("embedding");
        assertThat(r.getInt("data[0].index")).isEqualTo(0);
        float[] v = vector(r, 0);
        assertThat(v).hasSize(384);
        assertThat(dot(v, v)).isCloseTo(1.0, org.assertj.core.data.Offset.offset(1e-5));
        assertThat(maxAbsDiff(v, referenceEmbedding(GUITAR))).isLessThan(1e-5);
        int tokens = tokenizer.encode(GUITAR).getIds().length;
        assertThat(r.getInt("usage.prompt_tokens")).isEqualTo(tokens);
        assertThat(r.getInt("usage.total_tokens")).isEqualTo(tokens);
    }

    @Test
    void textsOfDifferentLengthsInOneListMatchEachAlone() throws Exception {
        List<String> texts = List.of("Hi", GUITAR, "The quick brown fox jumps over the lazy dog, twice, and then "
                + "sits down to write a rather long sentence about its adventures in the forest.", "ok");
        JsonPath r = embed("/v1/embeddings", "{\"model\": \"embed\", \"input\": [\"" + String.join("\", \"", texts)
                + "\"]}");
        for (int i = 0; i < texts.size(); i++) {
            assertThat(r.getInt("data[" + i + "].index")).isEqualTo(i);
            assertThat(maxAbsDiff(vector(r, i), referenceEmbedding(texts.get(i)))).as(texts.get(i)).isLessThan(1e-5);
        }
    }

    @Test
    void meaningIsCaptured() {
        JsonPath r = embed("/functions/embed", "{\"input\": [\"" + GUITAR
                + "\", \"Someone is playing an instrument.\", \"The stock market fell sharply today.\"]}");
        double related = dot(vector(r, 0), vector(r, 1));
        double unrelated = dot(vector(r, 0), vector(r, 2));
        assertThat(related).isGreaterThan(0.5);
        assertThat(related - unrelated).isGreaterThan(0.4);
    }

    @Test
    void base64IsLittleEndianFloat32() {
        float[] floats = vector(embed("/functions/embed", "{\"input\": \"" + GUITAR + "\"}"), 0);
        JsonPath r = embed("/v1/embeddings", "{\"model\": \"embed\", \"encoding_format\": \"base64\", \"input\": \""
                + GUITAR + "\"}");
        ByteBuffer bytes = ByteBuffer.wrap(Base64.getDecoder().decode(r.getString("data[0].embedding")))
                .order(ByteOrder.LITTLE_ENDIAN);
        assertThat(bytes.remaining()).isEqualTo(384 * 4);
        for (float f : floats) {
            assertThat(bytes.getFloat()).isEqualTo(f);
        }
    }

    @Test
    void longInputIsTruncatedAndSaysSo() {
        String longText = "word ".repeat(600);
        JsonPath r = embed("/functions/embed", "{\"input\": [\"" + longText + "\", \"short\"]}");
        assertThat(r.getBoolean("data[0].truncated")).isTrue();
        assertThat(r.getString("data[1].truncated")).isNull();
        assertThat(r.getInt("usage.prompt_tokens")).isEqualTo(256 + tokenizer.encode("short").getIds().length);
        given().contentType(ContentType.JSON).body("{\"input\": \"short\"}").post("/functions/embed").then()
                .statusCode(200).body("data[0].truncated", nullValue());
    }

    @Test
    void acceptsTheMatchingDimensions() throws Exception {
        for (String path : List.of("/functions/embed", "/v1/embeddings")) {
            JsonPath r = embed(path, "{\"model\": \"embed\", \"input\": \"" + GUITAR
                    + "\", \"dimensions\": 384, \"user\": \"u1\"}");
            float[] v = vector(r, 0);
            assertThat(v).as(path).hasSize(384);
            assertThat(maxAbsDiff(v, referenceEmbedding(GUITAR))).as(path).isLessThan(1e-5);
        }
    }

    @Test
    void refusesOtherDimensionsNamingTheField() {
        given().contentType(ContentType.JSON).body("{\"input\": \"x\", \"dimensions\": 128}").post("/functions/embed")
                .then().statusCode(400).contentType(ContentType.JSON)
                .body("error", containsString("'dimensions' 128")).body("error", containsString("384"));
        given().contentType(ContentType.JSON).body("{\"model\": \"embed\", \"input\": \"x\", \"dimensions\": 128}")
                .post("/v1/embeddings").then().statusCode(400).contentType(ContentType.JSON)
                .body("error.message", containsString("'dimensions' 128")).body("error.param", equalTo("dimensions"))
                .body("error.type", equalTo("invalid_request_error"));
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', quoteCharacter = '`', value = {
            "empty list        | /functions/embed | 400 | empty list         | {\"input\": []}",
            "non-string item   | /functions/embed | 400 | input[1]           | {\"input\": [\"a\", 3]}",
            "input missing     | /functions/embed | 400 | 'input' is required | {\"model\": \"embed\"}",
            "input an object   | /functions/embed | 400 | 'input' must be    | {\"input\": {\"a\": 1}}",
            "dimensions        | /functions/embed | 400 | 'dimensions' 128   | {\"input\": \"a\", \"dimensions\": 128}",
            "encoding          | /functions/embed | 400 | encoding_format    | {\"input\": \"a\", \"encoding_format\": \"int8\"}",
            "malformed         | /functions/embed | 400 | malformed JSON     | {\"input\": ",
            "empty body        | /functions/embed | 400 | empty              | ``",
            "model missing     | /v1/embeddings   | 400 | 'model' is required | {\"input\": \"a\"}",
            "unknown model     | /v1/embeddings   | 404 | nope               | {\"input\": \"a\", \"model\": \"nope\"}",
            "not an embedder   | /v1/embeddings   | 400 | not an embedding   | {\"input\": \"a\", \"model\": \"add\"}",
    })
    void badRequests(String name, String path, int status, String mentions, String body) {
        // /v1/* answers in OpenAI's error shape
        String message = path.startsWith("/v1/") ? "error.message" : "error";
        given().contentType(ContentType.JSON).body(body).post(path).then().statusCode(status)
                .contentType(ContentType.JSON).body(message, containsString(mentions));
    }

    @Test
    void openAiErrorsNameTheParamAndType() {
        given().contentType(ContentType.JSON).body("{\"input\": \"a\"}").post("/v1/embeddings").then().statusCode(400)
                .body("error.param", equalTo("model")).body("error.type", equalTo("invalid_request_error"))
                .body("error.code", equalTo("invalid_value"));
        given().contentType(ContentType.JSON).body("{\"input\": \"a\", \"model\": \"nope\"}").post("/v1/embeddings")
                .then().statusCode(404).body("error.type", equalTo("invalid_request_error"))
                .body("error.code", equalTo("not_found"));
        given().contentType(ContentType.JSON).body("{\"input\": ").post("/v1/embeddings").then().statusCode(400)
                .body("error.message", containsString("malformed JSON")).body("error.param", nullValue());
    }

    @Test
    void unknownVersionIs404() {
        given().contentType(ContentType.JSON).body("{\"input\": \"a\"}").post("/functions/embed/versions/99").then()
                .statusCode(404).body("error", containsString("99"));
    }
}
