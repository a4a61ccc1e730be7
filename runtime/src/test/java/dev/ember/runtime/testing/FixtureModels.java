package dev.ember.runtime.testing;

import static dev.ember.runtime.testing.OnnxModelWriter.ElementType.FLOAT;
import static dev.ember.runtime.testing.OnnxModelWriter.ElementType.INT64;

import dev.ember.runtime.testing.OnnxModelWriter.Attribute;
import dev.ember.runtime.testing.OnnxModelWriter.ElementType;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/** The named test models; every one is checked against ONNX Runtime in FixtureModelsTest. */
public final class FixtureModels {

    // linear: y = x @ W + B with W 4x2 row-major; values are exact in binary so expected outputs are exact
    public static final float[] LINEAR_W1 = {0.5f, -1f, 2f, 0.25f, -0.5f, 1f, 1.5f, -2f};
    public static final float[] LINEAR_B1 = {0.5f, -1f};
    public static final float[] LINEAR_W2 = {2f, 0f, 0f, 2f, -1f, 1f, 1f, -1f};
    public static final float[] LINEAR_B2 = {10f, 20f};

    public static final long SCALE_FACTOR = 3;

    /** Identity fixture name suffix -> element type, in the order of the v2 protocol datatypes. */
    public static final Map<String, ElementType> IDENTITY_TYPES = identityTypes();

    private FixtureModels() {
    }

    public static byte[] add() {
        return OnnxModelWriter.graph("add")
                .input("a", FLOAT, -1, 3).input("b", FLOAT, -1, 3)
                .node("Add", List.of("a", "b"), List.of("sum"))
                .output("sum", FLOAT, -1, 3)
                .toBytes();
    }

    public static byte[] linear() {
        return linear(LINEAR_W1, LINEAR_B1);
    }

    public static byte[] linearV2() {
        return linear(LINEAR_W2, LINEAR_B2);
    }

    /** Reference for the linear fixtures: x is row-major [n, 4], the result [n, 2]. */
    public static float[] applyLinear(float[] x, float[] w, float[] b) {
        int n = x.length / 4;
        float[] y = new float[n * 2];
        for (int r = 0; r < n; r++) {
            for (int c = 0; c < 2; c++) {
                float acc = 0;
                for (int k = 0; k < 4; k++) acc += x[r * 4 + k] * w[k * 2 + c];
                y[r * 2 + c] = acc + b[c];
            }
        }
        return y;
    }

    /** identity_&lt;suffix&gt;: x -> Identity -> y, dims [-1, -1] ([-1] for strings). */
    public static byte[] identity(ElementType type) {
        long[] dims = type == ElementType.STRING ? new long[] {-1} : new long[] {-1, -1};
        return OnnxModelWriter.graph("identity")
                .input("x", type, dims)
                .node("Identity", List.of("x"), List.of("y"))
                .output("y", type, dims)
                .toBytes();
    }

    public static byte[] scaleInt64() {
        return OnnxModelWriter.graph("scale_int64")
                .input("x", INT64, -1, 2)
                .initializer("factor", new long[] {SCALE_FACTOR}) // a scalar: no dims
                .node("Mul", List.of("x", "factor"), List.of("y"))
                .output("y", INT64, -1, 2)
                .toBytes();
    }

    public static byte[] fixedShape() {
        return OnnxModelWriter.graph("fixed_shape")
                .input("x", FLOAT, 2, 3)
                .node("Relu", List.of("x"), List.of("y"))
                .output("y", FLOAT, 2, 3)
                .toBytes();
    }

    public static byte[] twoOutputs() {
        return OnnxModelWriter.graph("two_outputs")
                .input("x", FLOAT, -1, 2)
                .node("Neg", List.of("x"), List.of("neg"))
                .node("Abs", List.of("x"), List.of("abs"))
                .output("neg", FLOAT, -1, 2).output("abs", FLOAT, -1, 2)
                .toBytes();
    }

    /** total[b] = sum over t of tokens[b, t] * mask[b, t]; opset 13+ ReduceSum takes axes as an input. */
    public static byte[] maskedSum() {
        return OnnxModelWriter.graph("masked_sum")
                .input("tokens", FLOAT, -1, -1).input("mask", FLOAT, -1, -1)
                .initializer("axes", new long[] {1}, 1)
                .node("Mul", List.of("tokens", "mask"), List.of("masked"))
                .node("ReduceSum", List.of("masked", "axes"), List.of("total"), Attribute.ofInt("keepdims", 0))
                .output("total", FLOAT, -1)
                .toBytes();
    }

    /** Quantize-dequantize round trip: the graph shape of a dynamically quantized model. */
    public static byte[] dynamicQuant() {
        return OnnxModelWriter.graph("dynamic_quant")
                .input("x", FLOAT, -1, 4)
                .node("DynamicQuantizeLinear", List.of("x"), List.of("q", "scale", "zero_point"))
                .node("DequantizeLinear", List.of("q", "scale", "zero_point"), List.of("y"))
                .output("y", FLOAT, -1, 4)
                .toBytes();
    }

    /** n MatMul layers of width x width seeded-random weights: about n * width * width * 4 bytes. */
    public static byte[] matmulChain(int n, int width) {
        if (n < 1) throw new IllegalArgumentException("n must be at least 1");
        float[][] weights = matmulChainWeights(n, width);
        OnnxModelWriter w = OnnxModelWriter.graph("matmul_chain").input("x", FLOAT, -1, width);
        String previous = "x";
        for (int i = 0; i < n; i++) {
            String next = i == n - 1 ? "y" : "h" + (i + 1);
            w.initializer("w" + i, weights[i], width, width)
                    .node("MatMul", List.of(previous, "w" + i), List.of(next));
            previous = next;
        }
        return w.output("y", FLOAT, -1, width).toBytes();
    }

    /** The weights of matmulChain(n, width), row-major; scaled by 1/sqrt(width) so values stay near 1. */
    public static float[][] matmulChainWeights(int n, int width) {
        Random random = new Random(31L * n + width);
        float scale = (float) (1 / Math.sqrt(width));
        float[][] weights = new float[n][width * width];
        for (float[] layer : weights) {
            for (int i = 0; i < layer.length; i++) layer[i] = (random.nextFloat() * 2 - 1) * scale;
        }
        return weights;
    }

    /** Every named fixture (not the generated matmul_chain), by repository name. */
    public static Map<String, byte[]> all() {
        Map<String, byte[]> all = new LinkedHashMap<>();
        all.put("add", add());
        all.put("linear", linear());
        IDENTITY_TYPES.forEach((suffix, type) -> all.put("identity_" + suffix, identity(type)));
        all.put("scale_int64", scaleInt64());
        all.put("fixed_shape", fixedShape());
        all.put("two_outputs", twoOutputs());
        all.put("masked_sum", maskedSum());
        all.put("dynamic_quant", dynamicQuant());
        return all;
    }

    /** A directory repository: root/name/1/model.onnx for every fixture, plus linear version 2. */
    public static Path writeRepository(Path root) {
        all().forEach((name, bytes) -> write(root.resolve(name).resolve("1").resolve("model.onnx"), bytes));
        write(root.resolve("linear").resolve("2").resolve("model.onnx"), linearV2());
        return root;
    }

    private static byte[] linear(float[] w, float[] b) {
        return OnnxModelWriter.graph("linear")
                .input("x", FLOAT, -1, 4)
                .initializer("W", w, 4, 2).initializer("B", b, 2)
                .node("MatMul", List.of("x", "W"), List.of("xw"))
                .node("Add", List.of("xw", "B"), List.of("y"))
                .output("y", FLOAT, -1, 2)
                .toBytes();
    }

    /** Writes a fixture file, creating its directories: the one helper every fixture repository uses. */
    public static void write(Path file, byte[] bytes) {
        try {
            Files.createDirectories(file.getParent());
            Files.write(file, bytes);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static Map<String, ElementType> identityTypes() {
        Map<String, ElementType> m = new LinkedHashMap<>();
        m.put("int8", ElementType.INT8);
        m.put("int16", ElementType.INT16);
        m.put("int32", ElementType.INT32);
        m.put("int64", ElementType.INT64);
        m.put("uint8", ElementType.UINT8);
        m.put("uint16", ElementType.UINT16);
        m.put("uint32", ElementType.UINT32);
        m.put("uint64", ElementType.UINT64);
        m.put("fp16", ElementType.FLOAT16);
        m.put("fp32", ElementType.FLOAT);
        m.put("fp64", ElementType.DOUBLE);
        m.put("bool", ElementType.BOOL);
        m.put("string", ElementType.STRING);
        return Collections.unmodifiableMap(m);
    }
}
