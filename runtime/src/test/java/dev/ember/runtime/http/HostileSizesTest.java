package dev.ember.runtime.http;

import dev.ember.runtime.codec.JsonBodies;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ember.runtime.api.DataType;
import dev.ember.runtime.api.EmbeddingRequest;
import dev.ember.runtime.api.InvalidInputException;
import dev.ember.runtime.api.ModelSignature;
import dev.ember.runtime.api.PayloadTooLargeException;
import dev.ember.runtime.api.TensorSpec;
import dev.ember.runtime.config.EmberConfig;
import dev.ember.runtime.config.TestConfig;
import dev.ember.runtime.codec.RequestLimits;
import dev.ember.runtime.codec.V2Codec;
import dev.ember.runtime.testing.TestBeans;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Each request limit, at its default, refuses a hostile size with a 400 or 413 exception that names the limit's key,
 * before memory is committed to what the request declares.
 */
class HostileSizesTest {

    static final EmberConfig DEFAULTS = TestConfig.ember(Map.of());
    static final ModelSignature SIGNATURE = new ModelSignature(
            List.of(new TensorSpec("x", DataType.FP32, new long[] {-1})),
            List.of(new TensorSpec("y", DataType.FP32, new long[] {-1})));
    final V2Codec codec = new V2Codec(RequestLimits.of(DEFAULTS.limits()));
    final JsonBodies json = TestBeans.create(JsonBodies.class, new ObjectMapper(), DEFAULTS);

    static long allocatedBytes(Runnable r) {
        var threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long before = threads.getCurrentThreadAllocatedBytes();
        try {
            r.run();
        } catch (RuntimeException ignored) {
            // the refusal itself is asserted separately
        }
        return threads.getCurrentThreadAllocatedBytes() - before;
    }

    static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void aShapeOfABillionElementsWithThreeValuesIsRefusedBeforeAllocation() {
        for (String body : List.of(
                "{\"inputs\": [{\"name\": \"x\", \"shape\": [1000000000], \"datatype\": \"FP32\", \"data\": [1, 2, 3]}]}",
                "{\"inputs\": [{\"name\": \"x\", \"datatype\": \"FP32\", \"data\": [1, 2, 3], \"shape\": [1000000000]}]}")) {
            assertThatThrownBy(() -> codec.decode(utf8(body), SIGNATURE)).isInstanceOf(PayloadTooLargeException.class)
                    .hasMessageContaining("[1000000000]").hasMessageContaining("ember.limits.max-tensor-elements");
            // 4 GB declared; well under a megabyte touched
            assertThat(allocatedBytes(() -> codec.decode(utf8(body), SIGNATURE))).isLessThan(1 << 20);
        }
    }

    @Test
    void deeplyNestedDataIsRefusedAtTheDepthLimit() {
        String deep = "[".repeat(100_000) + "1" + "]".repeat(100_000);
        byte[] v2 = utf8("{\"inputs\": [{\"name\": \"x\", \"shape\": [1], \"datatype\": \"FP32\", \"data\": " + deep + "}]}");
        assertThatThrownBy(() -> codec.decode(v2, SIGNATURE)).isInstanceOf(InvalidInputException.class)
                .hasMessageContaining("limit of 32").hasMessageContaining("ember.limits.max-json-depth");
        byte[] embed = utf8("{\"model\": \"embed\", \"input\": " + deep + "}");
        assertThatThrownBy(() -> json.read(embed, EmbeddingRequest.class)).isInstanceOf(InvalidInputException.class)
                .hasMessageContaining("ember.limits.max-json-depth");
        // refused at depth 33: no stack or tree for the other 99,967 levels
        assertThat(allocatedBytes(() -> json.read(embed, EmbeddingRequest.class))).isLessThan(4L << 20);
    }

    @Test
    void aHugeStringIsRefusedAtTheStringLimit() {
        String huge = "a".repeat(4 << 20);
        assertThatThrownBy(() -> codec.decode(utf8("{\"id\": \"" + huge + "\", \"inputs\": []}"), SIGNATURE))
                .isInstanceOf(PayloadTooLargeException.class).hasMessageContaining("limit of 1048576")
                .hasMessageContaining("ember.limits.max-string-length");
        assertThatThrownBy(() -> codec.decode(utf8("{\"inputs\": [{\"name\": \"x\", \"shape\": [1], \"datatype\": "
                + "\"BYTES\", \"data\": [\"" + huge + "\"]}]}"), SIGNATURE))
                .isInstanceOf(PayloadTooLargeException.class).hasMessageContaining("ember.limits.max-string-length");
        assertThatThrownBy(() -> json.read(utf8("{\"input\": \"" + huge + "\"}"), EmbeddingRequest.class))
                .isInstanceOf(PayloadTooLargeException.class).hasMessageContaining("ember.limits.max-string-length");
    }

    @Test
    void tooManyEmbeddingInputsAreRefusedAtTheInputLimit() {
        StringBuilder body = new StringBuilder("{\"input\": [\"a\"");
        body.append(",\"a\"".repeat(2048)).append("]}");
        EmbeddingRequest request = json.read(utf8(body.toString()), EmbeddingRequest.class);
        assertThatThrownBy(() -> request.texts(DEFAULTS.limits().maxEmbeddingInputs()))
                .isInstanceOf(PayloadTooLargeException.class).hasMessageContaining("2049 items")
                .hasMessageContaining("ember.limits.max-embedding-inputs");
    }

    @Test
    void aNullBodyIsABadRequestNotAnInternalError() {
        assertThatThrownBy(() -> json.read(utf8("null"), EmbeddingRequest.class))
                .isInstanceOf(InvalidInputException.class).hasMessageContaining("JSON null");
    }
}
