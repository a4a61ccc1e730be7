package dev.ember.runtime.api;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.util.Arrays;
import java.util.Objects;

/**
 * A dense tensor held outside ONNX Runtime: fixed-size types in a direct, native-order buffer (what ONNX Runtime
 * reads without a copy), BYTES as UTF-8 strings. Immutable by convention: the buffer is never written after creation.
 */
public final class Tensor {

    private final DataType datatype;
    private final long[] shape;
    private final ByteBuffer data;
    private final String[] strings;

    private Tensor(DataType datatype, long[] shape, ByteBuffer data, String[] strings) {
        this.datatype = Objects.requireNonNull(datatype);
        this.shape = shape.clone();
        this.data = data;
        this.strings = strings;
    }

    /** Wraps a buffer of fixed-size elements; it is copied into a direct buffer unless it already is one. */
    public static Tensor of(DataType datatype, long[] shape, ByteBuffer data) {
        if (!datatype.isFixedSize()) {
            throw new IllegalArgumentException("BYTES tensors hold strings");
        }
        long expected = elementCount(shape) * datatype.size();
        if (data.remaining() != expected) {
            throw new IllegalArgumentException("buffer holds " + data.remaining() + " bytes, shape "
                    + Arrays.toString(shape) + " of " + datatype + " needs " + expected);
        }
        ByteBuffer direct = data;
        if (!data.isDirect() || data.order() != ByteOrder.nativeOrder() || data.position() != 0) {
            direct = allocate(data.remaining());
            direct.put(data.duplicate()).flip();
        }
        return new Tensor(datatype, shape, direct.order(ByteOrder.nativeOrder()), null);
    }

    public static Tensor ofStrings(long[] shape, String[] values) {
        if (values.length != elementCount(shape)) {
            throw new IllegalArgumentException(values.length + " strings for shape " + Arrays.toString(shape));
        }
        return new Tensor(DataType.BYTES, shape, null, values.clone());
    }

    public static Tensor ofFloats(long[] shape, float[] values) {
        ByteBuffer buffer = allocate(values.length * 4L);
        buffer.asFloatBuffer().put(values);
        return of(DataType.FP32, shape, buffer);
    }

    public static Tensor ofLongs(long[] shape, long[] values) {
        ByteBuffer buffer = allocate(values.length * 8L);
        buffer.asLongBuffer().put(values);
        return of(DataType.INT64, shape, buffer);
    }

    /** A zeroed direct buffer in native order, the form every fixed-size tensor is kept in. */
    public static ByteBuffer allocate(long bytes) {
        if (bytes > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("tensor of " + bytes + " bytes is larger than 2 GiB");
        }
        return ByteBuffer.allocateDirect((int) bytes).order(ByteOrder.nativeOrder());
    }

    public static long elementCount(long[] shape) {
        long n = 1;
        for (long d : shape) {
            if (d < 0) {
                throw new IllegalArgumentException("negative dimension in " + Arrays.toString(shape));
            }
            n = Math.multiplyExact(n, d);
        }
        return n;
    }

    public DataType datatype() {
        return datatype;
    }

    public long[] shape() {
        return shape.clone();
    }

    public int rank() {
        return shape.length;
    }

    public long dim(int i) {
        return shape[i];
    }

    public long elementCount() {
        return elementCount(shape);
    }

    /** A read-only view of the raw elements, native order, positioned at 0. */
    public ByteBuffer data() {
        if (data == null) {
            throw new IllegalStateException("BYTES tensor has no fixed-size buffer");
        }
        return data.asReadOnlyBuffer().order(ByteOrder.nativeOrder());
    }

    public FloatBuffer floats() {
        requireType(DataType.FP32);
        return data().asFloatBuffer();
    }

    public LongBuffer longs() {
        requireType(DataType.INT64);
        return data().asLongBuffer();
    }

    public String[] strings() {
        requireType(DataType.BYTES);
        return strings.clone();
    }

    /** Rows [from, to) along the first dimension, copied. */
    public Tensor rows(long from, long to) {
        if (shape.length == 0 || from < 0 || to > shape[0] || from > to) {
            throw new IndexOutOfBoundsException("rows " + from + ".." + to + " of " + Arrays.toString(shape));
        }
        long[] sliced = shape.clone();
        sliced[0] = to - from;
        long rowElements = shape[0] == 0 ? 0 : elementCount() / shape[0];
        if (datatype == DataType.BYTES) {
            return ofStrings(sliced, Arrays.copyOfRange(strings, (int) (from * rowElements), (int) (to * rowElements)));
        }
        int rowBytes = Math.toIntExact(rowElements * datatype.size());
        ByteBuffer slice = data().position(Math.toIntExact(from * rowBytes)).limit(Math.toIntExact(to * rowBytes));
        return of(datatype, sliced, slice);
    }

    private void requireType(DataType expected) {
        if (datatype != expected) {
            throw new IllegalStateException("tensor is " + datatype + ", not " + expected);
        }
    }

    @Override
    public String toString() {
        return datatype + Arrays.toString(shape);
    }
}
