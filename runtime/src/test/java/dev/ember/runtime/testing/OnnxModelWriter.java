package dev.ember.runtime.testing;

import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * Writes small ONNX models by encoding the protobuf wire format of onnx.proto by hand, so tests
 * need neither a protobuf library nor committed binary models.
 */
public final class OnnxModelWriter {

    /** ONNX element types with their TensorProto.DataType codes and byte widths (0 = variable). */
    public enum ElementType {
        FLOAT(1, 4), UINT8(2, 1), INT8(3, 1), UINT16(4, 2), INT16(5, 2), INT32(6, 4), INT64(7, 8),
        STRING(8, 0), BOOL(9, 1), FLOAT16(10, 2), DOUBLE(11, 8), UINT32(12, 4), UINT64(13, 8);

        public final int code;
        public final int size;

        ElementType(int code, int size) {
            this.code = code;
            this.size = size;
        }
    }

    /** A node attribute; build one with {@link #ofInt}, {@link #ofFloat}, {@link #ofInts}, {@link #ofString}... */
    public static final class Attribute {
        // AttributeProto.AttributeType codes
        private static final int FLOAT = 1, INT = 2, STRING = 3, FLOATS = 6, INTS = 7, STRINGS = 8;
        final String name;
        final int type;
        final float f;
        final long[] ints;
        final float[] floats;
        final String[] strings;

        private Attribute(String name, int type, float f, long[] ints) {
            this(name, type, f, ints, null, null);
        }

        private Attribute(String name, int type, float f, long[] ints, float[] floats, String[] strings) {
            this.name = name;
            this.type = type;
            this.f = f;
            this.ints = ints;
            this.floats = floats;
            this.strings = strings;
        }

        public static Attribute ofString(String name, String value) {
            return new Attribute(name, STRING, 0, null, null, new String[] {value});
        }

        public static Attribute ofStrings(String name, String... values) {
            return new Attribute(name, STRINGS, 0, null, null, values.clone());
        }

        public static Attribute ofFloats(String name, float... values) {
            return new Attribute(name, FLOATS, 0, null, values.clone(), null);
        }

        public static Attribute ofInt(String name, long value) {
            return new Attribute(name, INT, 0, new long[] {value});
        }

        public static Attribute ofFloat(String name, float value) {
            return new Attribute(name, FLOAT, value, null);
        }

        public static Attribute ofInts(String name, long... values) {
            return new Attribute(name, INTS, 0, values.clone());
        }

        byte[] encode() {
            Proto p = new Proto().string(1, name);
            switch (type) {
                case FLOAT -> p.fixed32(2, Float.floatToIntBits(f));
                case INT -> p.varint(3, ints[0]);
                case STRING -> p.string(4, strings[0]);
                case STRINGS -> {
                    for (String v : strings) p.string(9, v);
                }
                case FLOATS -> {
                    for (float v : floats) p.fixed32(7, Float.floatToIntBits(v));
                }
                default -> {
                    for (long v : ints) p.varint(8, v); // proto2 repeated: unpacked, as onnx writes it
                }
            }
            return p.varint(20, type).bytes();
        }
    }

    private final String graphName;
    private long irVersion = 8;
    private final Map<String, Long> opsets = new LinkedHashMap<>(Map.of("", 17L));
    private final List<byte[]> inputs = new ArrayList<>();
    private final List<byte[]> outputs = new ArrayList<>();
    private final List<byte[]> nodes = new ArrayList<>();
    private final List<Part> initializers = new ArrayList<>();

    /** Next value of a float initializer written as it streams out; a fresh one per write. */
    @FunctionalInterface
    public interface FloatStream {
        float next();
    }

    private OnnxModelWriter(String graphName) {
        this.graphName = graphName;
    }

    public static OnnxModelWriter graph(String name) {
        return new OnnxModelWriter(name);
    }

    public OnnxModelWriter irVersion(long version) {
        irVersion = version;
        return this;
    }

    /** Operator set version of a domain; "" is the default ONNX domain (17 unless changed). */
    public OnnxModelWriter opset(String domain, long version) {
        opsets.put(domain, version);
        return this;
    }

    /** A graph input; a dim of -1 is dynamic, named "batch" in first position, "d1", "d2"... elsewhere. */
    public OnnxModelWriter input(String name, ElementType type, long... dims) {
        inputs.add(valueInfo(name, type, dims));
        return this;
    }

    public OnnxModelWriter output(String name, ElementType type, long... dims) {
        outputs.add(valueInfo(name, type, dims));
        return this;
    }

    public OnnxModelWriter node(String opType, List<String> in, List<String> out, Attribute... attributes) {
        return node("", opType, in, out, attributes);
    }

    /**
     * A node of operator set {@code domain} ("" = ONNX, e.g. "com.microsoft"); import the domain with
     * {@link #opset}. An input name "" is an omitted optional input.
     */
    public OnnxModelWriter node(String domain, String opType, List<String> in, List<String> out,
            Attribute... attributes) {
        Proto p = new Proto();
        in.forEach(s -> p.string(1, s));
        out.forEach(s -> p.string(2, s));
        p.string(3, opType + "_" + nodes.size()).string(4, opType);
        for (Attribute a : attributes) p.message(5, a.encode());
        if (!domain.isEmpty()) p.string(7, domain);
        nodes.add(p.bytes());
        return this;
    }

    /**
     * A graph input whose dims are each a number (static) or a symbolic name ("batch_size"), as exporters name
     * the dynamic axes.
     */
    public OnnxModelWriter symbolicInput(String name, ElementType type, Object... dims) {
        inputs.add(valueInfo(name, type, dims));
        return this;
    }

    public OnnxModelWriter symbolicOutput(String name, ElementType type, Object... dims) {
        outputs.add(valueInfo(name, type, dims));
        return this;
    }

    /** An initializer from little-endian raw bytes; the typed overloads below all end here. */
    public OnnxModelWriter initializer(String name, ElementType type, byte[] rawLittleEndian, long... dims) {
        if (type == ElementType.STRING) throw new IllegalArgumentException("use initializer(String, String[], long...)");
        if (rawLittleEndian.length != count(dims) * type.size) {
            throw new IllegalArgumentException(name + ": " + rawLittleEndian.length + " bytes do not fit dims " + Arrays.toString(dims));
        }
        initializers.add(Part.of(tensorHeader(name, type, dims).bytes(9, rawLittleEndian).bytes()));
        return this;
    }

    /**
     * An initializer whose data lives outside the model, in {@code location} (relative to the model's directory) at
     * {@code offset}: TensorProto.data_location = EXTERNAL with external_data entries, as onnx's
     * convert_model_to_external_data writes them. The caller writes the data file.
     */
    public OnnxModelWriter externalInitializer(String name, ElementType type, String location, long offset,
            long length, long... dims) {
        Proto p = tensorHeader(name, type, dims);
        p.message(13, new Proto().string(1, "location").string(2, location).bytes());
        p.message(13, new Proto().string(1, "offset").string(2, Long.toString(offset)).bytes());
        p.message(13, new Proto().string(1, "length").string(2, Long.toString(length)).bytes());
        p.varint(14, 1); // DataLocation.EXTERNAL
        initializers.add(Part.of(p.bytes()));
        return this;
    }

    /** Little-endian raw bytes of floats, as an external data file holds them. */
    public static byte[] rawFloats(float... values) {
        ByteBuffer b = le(values.length * 4);
        b.asFloatBuffer().put(values);
        return b.array();
    }

    public OnnxModelWriter initializer(String name, float[] values, long... dims) {
        ByteBuffer b = le(values.length * 4);
        b.asFloatBuffer().put(values);
        return initializer(name, ElementType.FLOAT, b.array(), dims);
    }

    public OnnxModelWriter initializer(String name, double[] values, long... dims) {
        ByteBuffer b = le(values.length * 8);
        b.asDoubleBuffer().put(values);
        return initializer(name, ElementType.DOUBLE, b.array(), dims);
    }

    public OnnxModelWriter initializer(String name, int[] values, long... dims) {
        ByteBuffer b = le(values.length * 4);
        b.asIntBuffer().put(values);
        return initializer(name, ElementType.INT32, b.array(), dims);
    }

    public OnnxModelWriter initializer(String name, long[] values, long... dims) {
        ByteBuffer b = le(values.length * 8);
        b.asLongBuffer().put(values);
        return initializer(name, ElementType.INT64, b.array(), dims);
    }

    // strings have no raw_data encoding: they go in string_data
    public OnnxModelWriter initializer(String name, String[] values, long... dims) {
        if (values.length != count(dims)) throw new IllegalArgumentException(name + ": count does not fit dims");
        Proto p = tensorHeader(name, ElementType.STRING, dims);
        for (String v : values) p.string(6, v);
        initializers.add(Part.of(p.bytes()));
        return this;
    }

    /**
     * A float initializer whose values are produced while the model is written, never held as an array: the way to
     * write hundreds of millions of weights in little memory. {@code values} gives a fresh stream per write.
     */
    public OnnxModelWriter initializer(String name, Supplier<FloatStream> values, long... dims) {
        long count = count(dims);
        long raw = count * 4;
        if (raw > Integer.MAX_VALUE) throw new IllegalArgumentException(name + ": over 2 GiB, beyond protobuf's limit");
        byte[] head = tensorHeader(name, ElementType.FLOAT, dims).rawTag(9, raw).bytes();
        initializers.add(new Part() {
            @Override
            public long size() {
                return head.length + raw;
            }

            @Override
            public void writeTo(OutputStream out) throws IOException {
                out.write(head);
                FloatStream s = values.get();
                ByteBuffer chunk = le(1 << 16);
                for (long i = 0; i < count; i++) {
                    if (!chunk.hasRemaining()) {
                        out.write(chunk.array(), 0, chunk.position());
                        chunk.clear();
                    }
                    chunk.putFloat(s.next());
                }
                out.write(chunk.array(), 0, chunk.position());
            }
        });
        return this;
    }

    public byte[] toBytes() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            writeTo(out);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    /** Streams the model to {@code file}: initializers are not first gathered in one array. */
    public Path write(Path file) {
        try {
            if (file.getParent() != null) Files.createDirectories(file.getParent());
            try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(file), 1 << 20)) {
                writeTo(out);
            }
            return file;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private void writeTo(OutputStream out) throws IOException {
        Proto head = new Proto();
        nodes.forEach(n -> head.message(1, n));
        head.string(2, graphName);
        Proto tail = new Proto();
        inputs.forEach(v -> tail.message(11, v));
        outputs.forEach(v -> tail.message(12, v));
        byte[] headBytes = head.bytes();
        byte[] tailBytes = tail.bytes();
        long graphSize = headBytes.length + tailBytes.length;
        List<byte[]> prefixes = new ArrayList<>();
        for (Part t : initializers) {
            byte[] prefix = new Proto().rawTag(5, t.size()).bytes();
            prefixes.add(prefix);
            graphSize += prefix.length + t.size();
        }
        if (graphSize > Integer.MAX_VALUE) throw new IllegalStateException("model over 2 GiB, beyond protobuf's limit");
        Proto model = new Proto().varint(1, irVersion).string(2, "ember-tests");
        opsets.forEach((domain, version) -> model.message(8, new Proto().string(1, domain).varint(2, version).bytes()));
        model.rawTag(7, graphSize);
        out.write(model.bytes());
        out.write(headBytes);
        for (int i = 0; i < initializers.size(); i++) {
            out.write(prefixes.get(i));
            initializers.get(i).writeTo(out);
        }
        out.write(tailBytes);
    }

    /** An encoded piece of the graph that may be written as it streams out. */
    private interface Part {
        long size();

        void writeTo(OutputStream out) throws IOException;

        static Part of(byte[] bytes) {
            return new Part() {
                @Override
                public long size() {
                    return bytes.length;
                }

                @Override
                public void writeTo(OutputStream out) throws IOException {
                    out.write(bytes);
                }
            };
        }
    }

    private static byte[] valueInfo(String name, ElementType type, long[] dims) {
        Object[] named = new Object[dims.length];
        for (int i = 0; i < dims.length; i++) {
            named[i] = dims[i] < 0 ? (i == 0 ? "batch" : "d" + i) : (Object) dims[i];
        }
        return valueInfo(name, type, named);
    }

    private static byte[] valueInfo(String name, ElementType type, Object[] dims) {
        Proto shape = new Proto();
        for (Object d : dims) {
            Proto dim = new Proto();
            if (d instanceof Number n) dim.varint(1, n.longValue());
            else dim.string(2, d.toString());
            shape.message(1, dim.bytes());
        }
        byte[] tensorType = new Proto().varint(1, type.code).message(2, shape.bytes()).bytes();
        byte[] typeProto = new Proto().message(1, tensorType).bytes();
        return new Proto().string(1, name).message(2, typeProto).bytes();
    }

    private static Proto tensorHeader(String name, ElementType type, long[] dims) {
        Proto p = new Proto();
        for (long d : dims) p.varint(1, d);
        return p.varint(2, type.code).string(8, name);
    }

    private static long count(long[] dims) {
        long n = 1;
        for (long d : dims) n *= d;
        return n;
    }

    private static ByteBuffer le(int bytes) {
        return ByteBuffer.allocate(bytes).order(ByteOrder.LITTLE_ENDIAN);
    }

    /** Protobuf wire format: tag = field << 3 | wire type (0 varint, 2 length-delimited, 5 fixed32). */
    private static final class Proto {
        private final ByteArrayOutputStream out = new ByteArrayOutputStream();

        Proto varint(int field, long value) {
            tag(field, 0);
            raw(value);
            return this;
        }

        Proto fixed32(int field, int bits) {
            tag(field, 5);
            for (int i = 0; i < 4; i++) out.write(bits >>> (8 * i));
            return this;
        }

        Proto bytes(int field, byte[] value) {
            tag(field, 2);
            raw(value.length);
            out.write(value, 0, value.length);
            return this;
        }

        Proto string(int field, String value) {
            return bytes(field, value.getBytes(StandardCharsets.UTF_8));
        }

        /** The tag and length of a length-delimited field whose {@code length} bytes the caller writes after. */
        Proto rawTag(int field, long length) {
            tag(field, 2);
            raw(length);
            return this;
        }

        Proto message(int field, byte[] encoded) {
            return bytes(field, encoded);
        }

        byte[] bytes() {
            return out.toByteArray();
        }

        private void tag(int field, int wireType) {
            raw((long) field << 3 | wireType);
        }

        // negative values take ten bytes (two's complement), as protobuf encodes int64
        private void raw(long value) {
            while ((value & ~0x7FL) != 0) {
                out.write((int) (value & 0x7F) | 0x80);
                value >>>= 7;
            }
            out.write((int) value);
        }
    }
}
