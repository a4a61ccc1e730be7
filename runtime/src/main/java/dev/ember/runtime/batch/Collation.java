package dev.ember.runtime.batch;

import dev.ember.runtime.api.DataType;
import dev.ember.runtime.api.Tensor;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Stacks requests' tensors along the batch dimension, padding the other dimensions to the longest in the batch
 * where the function allows it, and cuts the outputs back into each request's rows.
 */
final class Collation {

    private Collation() {
    }

    /** Whether two requests' inputs can share one model run. */
    static boolean compatible(Map<String, Tensor> a, Map<String, Tensor> b, Map<String, Number> pads) {
        if (!a.keySet().equals(b.keySet())) {
            return false;
        }
        for (Map.Entry<String, Tensor> e : a.entrySet()) {
            Tensor x = e.getValue();
            Tensor y = b.get(e.getKey());
            if (x.datatype() != y.datatype() || x.rank() != y.rank() || x.rank() == 0) {
                return false;
            }
            boolean padded = pads.containsKey(e.getKey()) && x.datatype() != DataType.BYTES;
            for (int d = 1; d < x.rank(); d++) {
                if (x.dim(d) != y.dim(d) && !padded) {
                    return false;
                }
            }
        }
        return true;
    }

    /**
     * The sequence length of a request: the largest dimension 1 of its padded inputs, the axis along which a batch
     * pads it to the longest; 0 when no input is padded (every request of the batch then has the same shape).
     */
    static long length(Map<String, Tensor> inputs, Map<String, Number> pads) {
        long length = 0;
        for (Map.Entry<String, Tensor> e : inputs.entrySet()) {
            Tensor t = e.getValue();
            if (pads.containsKey(e.getKey()) && t.datatype() != DataType.BYTES && t.rank() >= 2) {
                length = Math.max(length, t.dim(1));
            }
        }
        return length;
    }

    /** One input per name: the requests' rows stacked in order, padded to the largest size of each dimension. */
    static Map<String, Tensor> stack(List<Map<String, Tensor>> requests, Map<String, Number> pads) {
        Map<String, Tensor> stacked = new LinkedHashMap<>();
        for (String name : requests.get(0).keySet()) {
            List<Tensor> parts = new ArrayList<>(requests.size());
            requests.forEach(r -> parts.add(r.get(name)));
            stacked.put(name, stack(parts, pads.getOrDefault(name, 0)));
        }
        return stacked;
    }

    static Tensor stack(List<Tensor> parts, Number pad) {
        Tensor first = parts.get(0);
        long[] shape = first.shape();
        shape[0] = 0;
        for (Tensor t : parts) {
            shape[0] += t.dim(0);
            for (int d = 1; d < shape.length; d++) {
                shape[d] = Math.max(shape[d], t.dim(d));
            }
        }
        if (first.datatype() == DataType.BYTES) {
            List<String> all = new ArrayList<>();
            parts.forEach(t -> all.addAll(List.of(t.strings())));
            return Tensor.ofStrings(shape, all.toArray(String[]::new));
        }
        int size = first.datatype().size();
        ByteBuffer out = Tensor.allocate(Tensor.elementCount(shape) * size);
        boolean needsPad = parts.stream().anyMatch(t -> !sameTrailing(t.shape(), shape));
        if (needsPad && pad.doubleValue() != 0) {
            fill(out, first.datatype(), pad);
        }
        long rowOffset = 0;
        long dstRowElements = Tensor.elementCount(shape) / Math.max(shape[0], 1);
        for (Tensor t : parts) {
            copyPadded(t.data(), t.shape(), out, shape, size, 1, 0, rowOffset * dstRowElements, t.dim(0));
            rowOffset += t.dim(0);
        }
        out.clear();
        return Tensor.of(first.datatype(), shape, out);
    }

    private static boolean sameTrailing(long[] a, long[] b) {
        for (int d = 1; d < a.length; d++) {
            if (a[d] != b[d]) {
                return false;
            }
        }
        return true;
    }

    /**
     * Copies {@code rows} rows of src into dst at element offset dstBase; below {@code dim}, contiguous innermost
     * runs are copied in one go and the rest of each padded dimension keeps the pad value.
     */
    private static void copyPadded(ByteBuffer src, long[] srcShape, ByteBuffer dst, long[] dstShape, int size,
            int dim, long srcBase, long dstBase, long rows) {
        long srcRow = stride(srcShape, 0);
        long dstRow = stride(dstShape, 0);
        for (long r = 0; r < rows; r++) {
            copyBlock(src, srcShape, dst, dstShape, size, dim, srcBase + r * srcRow, dstBase + r * dstRow);
        }
    }

    private static void copyBlock(ByteBuffer src, long[] srcShape, ByteBuffer dst, long[] dstShape, int size,
            int dim, long srcOff, long dstOff) {
        if (dim == srcShape.length || sameFrom(srcShape, dstShape, dim)) {
            long elements = dim == srcShape.length ? 1 : stride(srcShape, dim - 1);
            ByteBuffer run = src.duplicate();
            run.limit(Math.toIntExact((srcOff + elements) * size)).position(Math.toIntExact(srcOff * size));
            dst.duplicate().position(Math.toIntExact(dstOff * size)).put(run);
            return;
        }
        long srcStride = stride(srcShape, dim);
        long dstStride = stride(dstShape, dim);
        for (long i = 0; i < srcShape[dim]; i++) {
            copyBlock(src, srcShape, dst, dstShape, size, dim + 1, srcOff + i * srcStride, dstOff + i * dstStride);
        }
    }

    private static boolean sameFrom(long[] a, long[] b, int from) {
        for (int d = from; d < a.length; d++) {
            if (a[d] != b[d]) {
                return false;
            }
        }
        return true;
    }

    /** Elements spanned by one step of dimension {@code dim}. */
    private static long stride(long[] shape, int dim) {
        long s = 1;
        for (int d = dim + 1; d < shape.length; d++) {
            s *= shape[d];
        }
        return s;
    }

    private static void fill(ByteBuffer out, DataType type, Number pad) {
        ByteBuffer b = out.duplicate().order(out.order());
        while (b.hasRemaining()) {
            switch (type) {
                case FP32 -> b.putFloat(pad.floatValue());
                case FP64 -> b.putDouble(pad.doubleValue());
                case INT64, UINT64 -> b.putLong(pad.longValue());
                case INT32, UINT32 -> b.putInt(pad.intValue());
                case INT16, UINT16, FP16 -> b.putShort(type == DataType.FP16
                        ? dev.ember.runtime.api.Fp16.fromFloat(pad.floatValue()) : pad.shortValue());
                default -> b.put(pad.byteValue());
            }
        }
    }

    /** Each request's rows of every output, in request order. */
    static List<Map<String, Tensor>> split(Map<String, Tensor> outputs, long[] rows) {
        List<Map<String, Tensor>> parts = new ArrayList<>(rows.length);
        long from = 0;
        for (long n : rows) {
            Map<String, Tensor> part = new LinkedHashMap<>();
            for (Map.Entry<String, Tensor> e : outputs.entrySet()) {
                part.put(e.getKey(), e.getValue().rows(from, from + n));
            }
            parts.add(part);
            from += n;
        }
        return parts;
    }
}
