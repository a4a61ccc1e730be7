package dev.ember.runtime.codec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ember.runtime.api.DataType;
import dev.ember.runtime.api.InvalidInputException;
import dev.ember.runtime.api.ModelSignature;
import dev.ember.runtime.api.PayloadTooLargeException;
import dev.ember.runtime.api.Tensor;
import dev.ember.runtime.api.TensorSpec;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class V2CodecTest {

    static final ModelSignature MODEL = new ModelSignature(
            List.of(new TensorSpec("x", DataType.FP32, new long[] {-1, 2}),
                    new TensorSpec("n", DataType.INT64, new long[] {-1})),
            List.of(new TensorSpec("y", DataType.FP32, new long[] {-1, 2})));
    final V2Codec codec = new V2Codec(new RequestLimits(1000, 8, 100));

    V2Request decode(String json) {
        return codec.decode(json.getBytes(StandardCharsets.UTF_8), MODEL);
    }

    @Test
    void nestedAndFlatDataDecodeAlike() {
        V2Request nested = decode("""
                {"id": "a", "inputs": [{"name": "x", "shape": [2, 2], "datatype": "FP32", "data": [[1, 2.5], [3, -4]]},
                  {"name": "n", "shape": [2], "datatype": "INT64", "data": [7, -9223372036854775808]}]}""");
        V2Request flat = decode("""
                {"inputs": [{"data": [1, 2.5, 3, -4], "datatype": "FP32", "name": "x", "shape": [2, 2]},
                  {"name": "n", "shape": [2], "datatype": "INT64", "data": [7, -9223372036854775808]}]}""");
        for (V2Request r : List.of(nested, flat)) {
            float[] x = new float[4];
            r.inputs().get("x").floats().get(x);
            assertThat(x).containsExactly(1f, 2.5f, 3f, -4f);
            assertThat(r.inputs().get("n").longs().get(1)).isEqualTo(Long.MIN_VALUE);
            assertThat(r.inputs().get("x").shape()).containsExactly(2, 2);
        }
        assertThat(nested.id()).isEqualTo("a");
        assertThat(flat.id()).isNull();
    }

    @Test
    void declaredShapeBeyondTheLimitIsRefusedBeforeData() {
        assertThatThrownBy(() -> decode("""
                {"inputs": [{"name": "x", "shape": [1000000000, 2], "datatype": "FP32", "data": [1, 2, 3]}]}"""))
                .isInstanceOf(PayloadTooLargeException.class).hasMessageContaining("max-tensor-elements");
        assertThatThrownBy(() -> decode("""
                {"inputs": [{"name": "x", "shape": [4611686018427387904, 4], "datatype": "FP32", "data": []}]}"""))
                .isInstanceOf(PayloadTooLargeException.class);
    }

    @Test
    void dataBeyondTheLimitIsRefusedWhileReading() {
        StringBuilder data = new StringBuilder("0");
        for (int i = 0; i < 1500; i++) {
            data.append(",0");
        }
        assertThatThrownBy(() -> decode("{\"inputs\": [{\"name\": \"x\", \"datatype\": \"FP32\", \"data\": [" + data
                + "], \"shape\": [1, 2]}]}")).isInstanceOf(PayloadTooLargeException.class);
    }

    @Test
    void deepNestingAndLongStringsAreRefused() {
        String deep = "[".repeat(20) + "1" + "]".repeat(20);
        assertThatThrownBy(() -> decode("{\"inputs\": [{\"name\": \"x\", \"data\": " + deep + "}]}"))
                .isInstanceOf(InvalidInputException.class).hasMessageContaining("max-json-depth");
        assertThatThrownBy(() -> decode("{\"id\": \"" + "z".repeat(200) + "\", \"inputs\": []}"))
                .isInstanceOf(PayloadTooLargeException.class).hasMessageContaining("max-string-length");
    }

    @Test
    void fp16IsConvertedBothWays() {
        ModelSignature half = new ModelSignature(List.of(new TensorSpec("h", DataType.FP16, new long[] {-1})),
                List.of());
        V2Request r = codec.decode("""
                {"inputs": [{"name": "h", "shape": [3], "datatype": "FP16", "data": [1.0, -0.5, 65504]}]}"""
                .getBytes(StandardCharsets.UTF_8), half);
        Tensor t = r.inputs().get("h");
        String json = new String(codec.encodeResponse("m", "1", null, Map.of(), Map.of("h", t)),
                StandardCharsets.UTF_8);
        assertThat(json).contains("\"data\":[1.0,-0.5,65504.0]");
    }

    @Test
    void integersRefuseFractionsAndBooleans() {
        assertThatThrownBy(() -> decode("""
                {"inputs": [{"name": "x", "shape": [1, 2], "datatype": "FP32", "data": [1, 2]},
                  {"name": "n", "shape": [1], "datatype": "INT64", "data": [1.5]}]}"""))
                .isInstanceOf(InvalidInputException.class).hasMessageContaining("not an integer");
        assertThatThrownBy(() -> decode("""
                {"inputs": [{"name": "x", "shape": [1, 2], "datatype": "FP32", "data": [1, true]}]}"""))
                .isInstanceOf(InvalidInputException.class).hasMessageContaining("boolean");
    }

    @Test
    void responseCarriesIdParametersAndUnsignedValues() {
        Tensor u8 = Tensor.of(DataType.UINT8, new long[] {2}, java.nio.ByteBuffer.wrap(new byte[] {(byte) 255, 1}));
        String json = new String(codec.encodeResponse("m", "3", "id-1", Map.of("k", "v"), Map.of("u", u8)),
                StandardCharsets.UTF_8);
        assertThat(json).isEqualTo("{\"model_name\":\"m\",\"model_version\":\"3\",\"id\":\"id-1\","
                + "\"parameters\":{\"k\":\"v\"},\"outputs\":[{\"name\":\"u\",\"datatype\":\"UINT8\","
                + "\"shape\":[2],\"data\":[255,1]}]}");
    }
}
