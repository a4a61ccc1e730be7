package dev.ember.runtime.pool;

import dev.ember.runtime.api.DataType;
import dev.ember.runtime.api.ModelCall;
import dev.ember.runtime.api.ModelSignature;
import dev.ember.runtime.api.Tensor;
import dev.ember.runtime.api.TensorSpec;

import java.util.Collection;
import java.util.List;
import java.util.Set;

/**
 * Estimates of the bytes one request holds while it runs, admitted against the {@link InFlightBudget}. They are
 * upper-bound leaning: what the codec, ONNX Runtime and the response encoder allocate for it, from its tensors and
 * the model's signature. The constants were measured on the bundled models with {@code /proc/self/status} and heap
 * histograms; they are estimates, and the half of the heap outside the budget is the headroom for their error.
 */
public final class WorkingSet {

    /**
     * One BYTES element besides its characters: the {@code String} and its array (about 40 bytes on a 64-bit JVM
     * with compressed pointers), the reference to it, and ONNX Runtime's own {@code std::string} copy (32).
     */
    static final long STRING_OVERHEAD = 80;
    /** While an Open Inference Protocol body is parsed each number is first kept as a 64-bit value in a growing array. */
    static final long DECODE_PER_ELEMENT = 16;
    /** A JSON response buffer grows by doubling and is copied once when done: up to 3x its length, 2.5x typically. */
    static final double ENCODE_GROWTH = 2.5;

    private WorkingSet() {
    }

    /**
     * A bound, known before the body is parsed, of what decoding an Open Inference Protocol body of {@code body}
     * bytes holds: every element takes at least two bytes of JSON ({@code 0,}) and a string three ({@code "",}),
     * so the body bounds the element count; each number is kept 64-bit while it is read, then as its datatype.
     */
    public static long decodeBound(long body, ModelSignature model) {
        boolean strings = model.inputs().stream().anyMatch(t -> t.datatype() == DataType.BYTES);
        int widest = model.inputs().stream().mapToInt(t -> t.datatype().size()).max().orElse(8);
        long numbers = body / 2 * (DECODE_PER_ELEMENT + Math.max(widest, 1));
        long texts = strings ? body / 3 * STRING_OVERHEAD + 2 * body : 0;
        return body + Math.max(numbers, texts);
    }

    /**
     * What a prepared call holds while it runs: its inputs (a direct buffer ONNX Runtime reads in place; strings
     * also copied by ONNX Runtime), and its outputs twice (ONNX Runtime's and the Java copy), their shapes from the
     * signature with dynamic dimensions resolved from the inputs ({@link #outputShape}); strings count their native copy
 * in {@link #STRING_OVERHEAD}.
     */
    public static long tensors(ModelCall<?> call, ModelSignature model) {
        long bytes = 0;
        for (Tensor t : call.inputs().values()) {
            bytes = saturatedAdd(bytes, bytes(t));
        }
        long meanString = meanString(call);
        for (TensorSpec out : outputs(call, model)) {
            long elements = elements(outputShape(out, call));
            // a string's overhead already counts ONNX Runtime's copy; a fixed-size output is in both places
            long each = elementBytes(out.datatype(), elements, meanString);
            bytes = saturatedAdd(bytes, out.datatype() == DataType.BYTES ? each : saturatedAdd(each, each));
        }
        return bytes;
    }

    /** The bytes of the call's inputs alone: what a prepared request holds while it waits to run. */
    public static long inputs(ModelCall<?> call) {
        long bytes = 0;
        for (Tensor t : call.inputs().values()) {
            bytes = saturatedAdd(bytes, bytes(t));
        }
        return bytes;
    }

    /**
     * {@link #tensors} plus the Open Inference Protocol JSON response written from the outputs: about as many
     * characters per element as its datatype prints (a float about 12 with its comma), times the buffer's growth.
     */
    public static long tensorsAndJson(ModelCall<?> call, ModelSignature model) {
        long json = 0;
        long meanString = meanString(call);
        for (TensorSpec out : outputs(call, model)) {
            long elements = elements(outputShape(out, call));
            long chars = jsonChars(out.datatype()) + (out.datatype() == DataType.BYTES ? meanString : 0);
            json = saturatedAdd(json, (long) Math.min(Long.MAX_VALUE / 4.0, elements * chars * ENCODE_GROWTH));
        }
        return saturatedAdd(tensors(call, model), json);
    }

    /** The outputs the call asked for, or all of them. */
    static Collection<TensorSpec> outputs(ModelCall<?> call, ModelSignature model) {
        Set<String> wanted = call.outputs();
        return wanted.isEmpty() ? model.outputs()
                : model.outputs().stream().filter(t -> wanted.contains(t.name())).toList();
    }

    /**
     * An output's shape with its dynamic dimensions filled in: the first from the call's rows, any other from the
     * largest input dimension at the same position (an identity, an elementwise op or a sequence model keeps its
     * lengths), else 1. A model that grows a dimension by itself is then under-estimated: the headroom covers it.
     */
    static long[] outputShape(TensorSpec out, ModelCall<?> call) {
        long[] shape = out.shape().clone();
        List<Tensor> inputs = List.copyOf(call.inputs().values());
        for (int i = 0; i < shape.length; i++) {
            if (shape[i] >= 0) {
                continue;
            }
            if (i == 0 && out.hasDynamicBatch()) {
                shape[i] = call.rows();
                continue;
            }
            long d = 1;
            for (Tensor t : inputs) {
                if (t.rank() > i) {
                    d = Math.max(d, t.dim(i));
                }
            }
            shape[i] = d;
        }
        return shape;
    }

    /** Mean characters of the call's string inputs: the guess for string outputs (64 when it has none). */
    private static long meanString(ModelCall<?> call) {
        long chars = 0;
        long count = 0;
        for (Tensor t : call.inputs().values()) {
            if (t.datatype() == DataType.BYTES) {
                for (String s : t.strings()) {
                    chars += s.length();
                }
                count += t.elementCount();
            }
        }
        return count == 0 ? 64 : chars / count;
    }

    static long bytes(Tensor t) {
        if (t.datatype() != DataType.BYTES) {
            return t.elementCount() * t.datatype().size();
        }
        long bytes = 0;
        for (String s : t.strings()) {
            // Latin-1 in Java, UTF-8 in ONNX Runtime: about two bytes a character in all
            bytes += STRING_OVERHEAD + 2L * s.length();
        }
        return bytes;
    }

    private static long elementBytes(DataType type, long elements, long meanString) {
        long each = type == DataType.BYTES ? STRING_OVERHEAD + 2 * meanString : type.size();
        return elements > Long.MAX_VALUE / Math.max(each, 1) ? Long.MAX_VALUE / 4 : elements * each;
    }

    private static long elements(long[] shape) {
        long n = 1;
        for (long d : shape) {
            if (d != 0 && n > Long.MAX_VALUE / 4 / d) {
                return Long.MAX_VALUE / 4;
            }
            n *= d;
        }
        return n;
    }

    /** Characters of JSON one element takes, separator included. */
    private static int jsonChars(DataType type) {
        return switch (type) {
            case BOOL -> 6;
            case UINT8, INT8 -> 4;
            case UINT16, INT16 -> 6;
            case UINT32, INT32 -> 11;
            case UINT64, INT64 -> 20;
            case FP16 -> 10;
            case FP32 -> 12;
            case FP64 -> 22;
            case BYTES -> 4; // quotes and separator, besides its characters
        };
    }

    static long saturatedAdd(long a, long b) {
        long r = a + b;
        return ((a ^ r) & (b ^ r)) < 0 ? Long.MAX_VALUE / 2 : r;
    }
}
