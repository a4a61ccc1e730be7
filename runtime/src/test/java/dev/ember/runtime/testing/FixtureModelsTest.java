package dev.ember.runtime.testing;

import static dev.ember.runtime.testing.OnnxModelWriter.ElementType.FLOAT;
import static dev.ember.runtime.testing.OnnxModelWriter.ElementType.INT64;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import ai.onnxruntime.platform.Fp16Conversions;
import dev.ember.runtime.testing.OnnxModelWriter.ElementType;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

class FixtureModelsTest {

    private static final OrtEnvironment ENV = dev.ember.runtime.onnx.OnnxEnvironment.get();

    @Test
    void add() throws OrtException {
        try (OrtSession s = open(FixtureModels.add());
                OnnxTensor a = OnnxTensor.createTensor(ENV, floats(1, 2, 3, 4, 5, 6), new long[] {2, 3});
                OnnxTensor b = OnnxTensor.createTensor(ENV, floats(10, 20, 30, 0.5f, -1, -2), new long[] {2, 3});
                OrtSession.Result r = s.run(Map.of("a", a, "b", b))) {
            assertThat(s.getInputNames()).containsExactly("a", "b");
            assertTensor(s.getInputInfo(), "a", FLOAT, -1, 3);
            assertTensor(s.getInputInfo(), "b", FLOAT, -1, 3);
            assertTensor(s.getOutputInfo(), "sum", FLOAT, -1, 3);
            assertThat(((TensorInfo) s.getInputInfo().get("a").getInfo()).getDimensionNames()).containsExactly("batch", "");
            assertThat(readFloats(output(r, "sum"))).containsExactly(11, 22, 33, 4.5f, 4, 4);
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 2})
    void linear(int version) throws OrtException {
        float[] w = version == 1 ? FixtureModels.LINEAR_W1 : FixtureModels.LINEAR_W2;
        float[] bias = version == 1 ? FixtureModels.LINEAR_B1 : FixtureModels.LINEAR_B2;
        float[] x = {1, 2, 3, 4, -1, 0, 2, -3, 0, 0, 0, 0};
        try (OrtSession s = open(version == 1 ? FixtureModels.linear() : FixtureModels.linearV2());
                OnnxTensor in = OnnxTensor.createTensor(ENV, floats(x), new long[] {3, 4});
                OrtSession.Result r = s.run(Map.of("x", in))) {
            assertThat(s.getInputNames()).containsExactly("x"); // initializers are not inputs
            assertTensor(s.getInputInfo(), "x", FLOAT, -1, 4);
            assertTensor(s.getOutputInfo(), "y", FLOAT, -1, 2);
            assertThat(output(r, "y").getInfo().getShape()).containsExactly(3, 2);
            assertThat(readFloats(output(r, "y"))).containsExactly(FixtureModels.applyLinear(x, w, bias));
        }
        // the reference itself, by hand, so a wrong reference cannot hide a wrong model
        assertThat(FixtureModels.applyLinear(new float[] {1, 2, 3, 4}, FixtureModels.LINEAR_W1, FixtureModels.LINEAR_B1))
                .containsExactly(9.5f, -6.5f);
        assertThat(FixtureModels.applyLinear(new float[] {1, 2, 3, 4}, FixtureModels.LINEAR_W2, FixtureModels.LINEAR_B2))
                .containsExactly(13, 23);
    }

    /** suffix, the Java type to create the tensor with, native-order raw bytes of a [2, 3] tensor, what getValue() returns. */
    static Stream<Arguments> identities() {
        short[] fp16 = new short[6];
        float[] halfValues = {-2.5f, 0, 1, 65504, 0.5f, -0.25f}; // all exact in fp16
        for (int i = 0; i < 6; i++) fp16[i] = Fp16Conversions.floatToFp16(halfValues[i]);
        return Stream.of(
                Arguments.of("int8", OnnxJavaType.INT8, raw(1, b -> b.put(new byte[] {-128, -1, 0, 127, 5, 6})),
                        new byte[][] {{-128, -1, 0}, {127, 5, 6}}),
                Arguments.of("int16", OnnxJavaType.INT16, raw(2, b -> b.asShortBuffer().put(new short[] {Short.MIN_VALUE, -1, 0, Short.MAX_VALUE, 5, 6})),
                        new short[][] {{Short.MIN_VALUE, -1, 0}, {Short.MAX_VALUE, 5, 6}}),
                Arguments.of("int32", OnnxJavaType.INT32, raw(4, b -> b.asIntBuffer().put(new int[] {Integer.MIN_VALUE, -1, 0, Integer.MAX_VALUE, 5, 6})),
                        new int[][] {{Integer.MIN_VALUE, -1, 0}, {Integer.MAX_VALUE, 5, 6}}),
                Arguments.of("int64", OnnxJavaType.INT64, raw(8, b -> b.asLongBuffer().put(new long[] {Long.MIN_VALUE, -1, 0, Long.MAX_VALUE, 5, 6})),
                        new long[][] {{Long.MIN_VALUE, -1, 0}, {Long.MAX_VALUE, 5, 6}}),
                // Java has no unsigned byte: 255 and 128 come back as -1 and -128
                Arguments.of("uint8", OnnxJavaType.UINT8, raw(1, b -> b.put(new byte[] {0, 1, 127, (byte) 128, (byte) 255, 6})),
                        new byte[][] {{0, 1, 127}, {-128, -1, 6}}),
                // FLOAT16 tensors come out of getValue() as float (converted), the buffer keeps the fp16 bits
                Arguments.of("fp16", OnnxJavaType.FLOAT16, raw(2, b -> b.asShortBuffer().put(fp16)),
                        new float[][] {{-2.5f, 0, 1}, {65504, 0.5f, -0.25f}}),
                Arguments.of("fp32", OnnxJavaType.FLOAT, raw(4, b -> b.asFloatBuffer().put(new float[] {-1.5f, 0, Float.MAX_VALUE, Float.MIN_VALUE, 3.25f, -0f})),
                        new float[][] {{-1.5f, 0, Float.MAX_VALUE}, {Float.MIN_VALUE, 3.25f, -0f}}),
                Arguments.of("fp64", OnnxJavaType.DOUBLE, raw(8, b -> b.asDoubleBuffer().put(new double[] {-1.5, 0, Double.MAX_VALUE, Double.MIN_VALUE, 0.1, 1e300})),
                        new double[][] {{-1.5, 0, Double.MAX_VALUE}, {Double.MIN_VALUE, 0.1, 1e300}}),
                Arguments.of("bool", OnnxJavaType.BOOL, raw(1, b -> b.put(new byte[] {1, 0, 0, 1, 1, 0})),
                        new boolean[][] {{true, false, false}, {true, true, false}}));
    }

    @ParameterizedTest
    @MethodSource("identities")
    void identity(String suffix, OnnxJavaType javaType, ByteBuffer raw, Object expected) throws OrtException {
        ElementType type = FixtureModels.IDENTITY_TYPES.get(suffix);
        try (OrtSession s = open(FixtureModels.identity(type));
                OnnxTensor x = OnnxTensor.createTensor(ENV, raw, new long[] {2, 3}, javaType);
                OrtSession.Result r = s.run(Map.of("x", x))) {
            assertTensor(s.getInputInfo(), "x", type, -1, -1);
            assertTensor(s.getOutputInfo(), "y", type, -1, -1);
            OnnxTensor y = output(r, "y");
            assertThat(y.getInfo().onnxType).isEqualTo(onnxType(type));
            assertThat(y.getValue()).isEqualTo(expected);
            assertThat(y.getByteBuffer()).isEqualTo(raw.rewind());
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"uint16", "uint32", "uint64"})
    void identityOfWideUnsignedTypes(String suffix) throws OrtException {
        ElementType type = FixtureModels.IDENTITY_TYPES.get(suffix);
        try (OrtSession s = open(FixtureModels.identity(type))) {
            assertTensor(s.getInputInfo(), "x", type, -1, -1);
            assertTensor(s.getOutputInfo(), "y", type, -1, -1);
            // No value round trip: ONNX Runtime Java 1.29 cannot create UINT16/UINT32/UINT64 tensors (OnnxJavaType
            // has no such constants), and the same-width signed tensor is rejected, as asserted here.
            assertThat(Arrays.stream(OnnxJavaType.values()).map(Enum::name)).doesNotContain("UINT16", "UINT32", "UINT64");
            OnnxJavaType signed = OnnxJavaType.valueOf(suffix.substring(1).toUpperCase());
            try (OnnxTensor x = OnnxTensor.createTensor(ENV, raw(type.size, b -> { }), new long[] {2, 3}, signed)) {
                assertThatThrownBy(() -> s.run(Map.of("x", x)).close()).isInstanceOf(OrtException.class).hasMessageContaining("expected: (tensor(" + suffix + "))");
            }
        }
    }

    @Test
    void identityString() throws OrtException {
        String[] values = {"a", "", "ünïcödé", "with space"};
        try (OrtSession s = open(FixtureModels.identity(ElementType.STRING));
                OnnxTensor x = OnnxTensor.createTensor(ENV, values, new long[] {4});
                OrtSession.Result r = s.run(Map.of("x", x))) {
            assertTensor(s.getInputInfo(), "x", ElementType.STRING, -1);
            assertTensor(s.getOutputInfo(), "y", ElementType.STRING, -1);
            assertThat((String[]) output(r, "y").getValue()).containsExactly(values);
        }
    }

    @Test
    void scaleInt64() throws OrtException {
        try (OrtSession s = open(FixtureModels.scaleInt64());
                OnnxTensor x = OnnxTensor.createTensor(ENV, longs(1, -2, Long.MAX_VALUE / 3, 0), new long[] {2, 2});
                OrtSession.Result r = s.run(Map.of("x", x))) {
            assertThat(s.getInputNames()).containsExactly("x");
            assertTensor(s.getInputInfo(), "x", INT64, -1, 2);
            assertTensor(s.getOutputInfo(), "y", INT64, -1, 2);
            LongBuffer y = output(r, "y").getLongBuffer();
            long[] values = new long[y.remaining()];
            y.get(values);
            assertThat(values).containsExactly(3, -6, Long.MAX_VALUE / 3 * 3, 0);
        }
    }

    @Test
    void fixedShape() throws OrtException {
        try (OrtSession s = open(FixtureModels.fixedShape());
                OnnxTensor x = OnnxTensor.createTensor(ENV, floats(-1, 0, 1, 2, -3, 4), new long[] {2, 3});
                OrtSession.Result r = s.run(Map.of("x", x))) {
            assertTensor(s.getInputInfo(), "x", FLOAT, 2, 3);
            assertTensor(s.getOutputInfo(), "y", FLOAT, 2, 3);
            assertThat(readFloats(output(r, "y"))).containsExactly(0, 0, 1, 2, 0, 4);
            // the fixed batch dimension is enforced
            try (OnnxTensor one = OnnxTensor.createTensor(ENV, floats(1, 2, 3), new long[] {1, 3})) {
                assertThatThrownBy(() -> s.run(Map.of("x", one)).close()).isInstanceOf(OrtException.class).hasMessageContaining("invalid dimensions");
            }
        }
    }

    @Test
    void twoOutputs() throws OrtException {
        try (OrtSession s = open(FixtureModels.twoOutputs());
                OnnxTensor x = OnnxTensor.createTensor(ENV, floats(1, -2, -3, 4), new long[] {2, 2});
                OrtSession.Result r = s.run(Map.of("x", x))) {
            assertThat(s.getOutputNames()).containsExactly("neg", "abs");
            assertTensor(s.getInputInfo(), "x", FLOAT, -1, 2);
            assertTensor(s.getOutputInfo(), "neg", FLOAT, -1, 2);
            assertTensor(s.getOutputInfo(), "abs", FLOAT, -1, 2);
            assertThat(readFloats(output(r, "neg"))).containsExactly(-1, 2, 3, -4);
            assertThat(readFloats(output(r, "abs"))).containsExactly(1, 2, 3, 4);
        }
    }

    @Test
    void maskedSum() throws OrtException {
        try (OrtSession s = open(FixtureModels.maskedSum());
                OnnxTensor tokens = OnnxTensor.createTensor(ENV, floats(1, 2, 3, 4, 5, 6), new long[] {2, 3});
                OnnxTensor mask = OnnxTensor.createTensor(ENV, floats(1, 1, 0, 1, 0, 0), new long[] {2, 3});
                OrtSession.Result r = s.run(Map.of("tokens", tokens, "mask", mask))) {
            assertThat(s.getInputNames()).containsExactly("tokens", "mask");
            assertTensor(s.getInputInfo(), "tokens", FLOAT, -1, -1);
            assertTensor(s.getInputInfo(), "mask", FLOAT, -1, -1);
            assertTensor(s.getOutputInfo(), "total", FLOAT, -1);
            assertThat(output(r, "total").getInfo().getShape()).containsExactly(2);
            assertThat(readFloats(output(r, "total"))).containsExactly(3, 4);
        }
    }

    @Test
    void dynamicQuant() throws OrtException {
        // range [-128, 127] gives scale 1 and zero point 128, so the round trip is exact
        float[] x = {-128, 0, 1, 127, 5, -5, 100, -100};
        try (OrtSession s = open(FixtureModels.dynamicQuant());
                OnnxTensor in = OnnxTensor.createTensor(ENV, floats(x), new long[] {2, 4});
                OrtSession.Result r = s.run(Map.of("x", in))) {
            assertTensor(s.getInputInfo(), "x", FLOAT, -1, 4);
            assertTensor(s.getOutputInfo(), "y", FLOAT, -1, 4);
            assertThat(readFloats(output(r, "y"))).containsExactly(x);
        }
    }

    @Test
    void matmulChain() throws OrtException {
        int n = 3, width = 64;
        byte[] model = FixtureModels.matmulChain(n, width);
        assertThat(model.length).isBetween(n * width * width * 4, n * width * width * 4 + 1024);
        assertThat(FixtureModels.matmulChain(n, width)).isEqualTo(model); // seeded: the same bytes every time

        float[] x = new float[2 * width];
        for (int i = 0; i < x.length; i++) x[i] = (i % 7) - 3;
        float[] expected = x.clone();
        for (float[] w : FixtureModels.matmulChainWeights(n, width)) expected = matmul(expected, w, width);
        try (OrtSession s = open(model);
                OnnxTensor in = OnnxTensor.createTensor(ENV, floats(x), new long[] {2, width});
                OrtSession.Result r = s.run(Map.of("x", in))) {
            assertTensor(s.getInputInfo(), "x", FLOAT, -1, width);
            assertTensor(s.getOutputInfo(), "y", FLOAT, -1, width);
            float[] y = readFloats(output(r, "y"));
            assertThat(y).hasSize(expected.length);
            // summation order differs from the Java reference, so compare with a tolerance
            for (int i = 0; i < y.length; i++) assertThat(y[i]).as("y[%d]", i).isCloseTo(expected[i], within(1e-4f));
        }
    }

    @Test
    void writeRepository(@TempDir Path root) throws Exception {
        FixtureModels.writeRepository(root);
        Map<String, byte[]> all = FixtureModels.all();
        assertThat(all).hasSize(2 + 13 + 5);
        for (Map.Entry<String, byte[]> e : all.entrySet()) {
            assertThat(Files.readAllBytes(root.resolve(e.getKey() + "/1/model.onnx"))).as(e.getKey()).isEqualTo(e.getValue());
            try (OrtSession s = open(e.getValue())) {
                assertThat(s.getNumInputs()).as(e.getKey()).isPositive(); // every fixture loads
            }
        }
        assertThat(Files.readAllBytes(root.resolve("linear/2/model.onnx"))).isEqualTo(FixtureModels.linearV2());
        try (Stream<Path> files = Files.walk(root)) {
            assertThat(files.filter(Files::isRegularFile).count()).isEqualTo(all.size() + 1);
        }
    }

    @Test
    void writerRejectsInitializerThatDoesNotFitItsDims() {
        assertThatThrownBy(() -> OnnxModelWriter.graph("g").initializer("w", new float[] {1, 2, 3}, 2, 2))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("w");
        // ModelProto starts with ir_version (field 1, varint) = 8
        assertThat(OnnxModelWriter.graph("g").toBytes()).startsWith((byte) 0x08, (byte) 8);
    }

    private static OrtSession open(byte[] model) throws OrtException {
        try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
            return ENV.createSession(model, options);
        }
    }

    private static void assertTensor(Map<String, NodeInfo> infos, String name, ElementType type, long... shape) {
        assertThat(infos).containsKey(name);
        TensorInfo info = (TensorInfo) infos.get(name).getInfo();
        assertThat(info.onnxType).as(name + " element type").isEqualTo(onnxType(type));
        assertThat(info.getShape()).as(name + " shape").containsExactly(shape);
    }

    // OnnxTensorType.value is ONNX Runtime Java's own numbering, not the TensorProto code: match by name
    private static TensorInfo.OnnxTensorType onnxType(ElementType type) {
        return TensorInfo.OnnxTensorType.valueOf("ONNX_TENSOR_ELEMENT_DATA_TYPE_" + type.name());
    }

    private static OnnxTensor output(OrtSession.Result r, String name) {
        return (OnnxTensor) r.get(name).orElseThrow();
    }

    // six elements: the [2, 3] tensors of the identity tests
    private static ByteBuffer raw(int elementSize, Consumer<ByteBuffer> fill) {
        ByteBuffer b = ByteBuffer.allocateDirect(6 * elementSize).order(ByteOrder.nativeOrder());
        fill.accept(b.duplicate().order(ByteOrder.nativeOrder()));
        return b;
    }

    private static FloatBuffer floats(float... values) {
        FloatBuffer b = ByteBuffer.allocateDirect(values.length * 4).order(ByteOrder.nativeOrder()).asFloatBuffer();
        return b.put(values).rewind();
    }

    private static LongBuffer longs(long... values) {
        LongBuffer b = ByteBuffer.allocateDirect(values.length * 8).order(ByteOrder.nativeOrder()).asLongBuffer();
        return b.put(values).rewind();
    }

    private static float[] readFloats(OnnxTensor t) {
        FloatBuffer b = t.getFloatBuffer();
        float[] values = new float[b.remaining()];
        b.get(values);
        return values;
    }

    private static float[] matmul(float[] x, float[] w, int width) {
        float[] y = new float[x.length];
        for (int r = 0; r < x.length / width; r++) {
            for (int c = 0; c < width; c++) {
                float acc = 0;
                for (int k = 0; k < width; k++) acc += x[r * width + k] * w[k * width + c];
                y[r * width + c] = acc;
            }
        }
        return y;
    }
}
