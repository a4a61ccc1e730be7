package dev.ember.runtime.codec;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import dev.ember.runtime.api.DataType;
import dev.ember.runtime.api.Fp16;
import dev.ember.runtime.api.InvalidInputException;
import dev.ember.runtime.api.ModelSignature;
import dev.ember.runtime.api.PayloadTooLargeException;
import dev.ember.runtime.api.Tensor;
import dev.ember.runtime.api.TensorSpec;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads and writes Open Inference Protocol v2 JSON with a streaming parser: tensor data goes straight into typed
 * buffers, flat or nested, and every size is checked against the limits before memory is committed to it.
 */
public final class V2Codec {

    private final JsonFactory json;
    private final RequestLimits limits;

    public V2Codec(RequestLimits limits) {
        this.limits = limits;
        this.json = limits.jsonFactory();
    }

    /** Decodes a request and checks it against the model's signature; messages name the input or field. */
    public V2Request decode(byte[] body, ModelSignature model) {
        try (JsonParser p = json.createParser(body)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                throw new InvalidInputException("the request body must be a JSON object");
            }
            String id = null;
            Map<String, Object> parameters = Map.of();
            List<RawInput> inputs = null;
            List<String> outputs = List.of();
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String field = p.currentName();
                p.nextToken();
                switch (field) {
                    case "id" -> id = string(p, "id");
                    case "parameters" -> parameters = parameters(p, "parameters");
                    case "inputs" -> inputs = inputs(p);
                    case "outputs" -> outputs = outputs(p);
                    default -> p.skipChildren();
                }
            }
            JsonErrors.requireEnd(p, "request object");
            if (inputs == null) {
                throw new InvalidInputException("'inputs' is required");
            }
            return new V2Request(id, parameters, tensors(inputs, model), checkOutputs(outputs, model));
        } catch (StreamConstraintsException e) {
            throw JsonErrors.limit(e, limits);
        } catch (JsonProcessingException e) {
            throw JsonErrors.malformed(e);
        } catch (IOException e) {
            throw new InvalidInputException("unreadable request body");
        }
    }


    /** One input as read, before it is matched with the model. */
    private static final class RawInput {
        String name;
        DataType datatype;
        long[] shape;
        Values values;
    }

    private List<RawInput> inputs(JsonParser p) throws IOException {
        if (p.currentToken() != JsonToken.START_ARRAY) {
            throw new InvalidInputException("'inputs' must be an array of tensors");
        }
        List<RawInput> inputs = new ArrayList<>();
        while (p.nextToken() != JsonToken.END_ARRAY) {
            String where = "inputs[" + inputs.size() + "]";
            if (p.currentToken() != JsonToken.START_OBJECT) {
                throw new InvalidInputException("'" + where + "' must be an object");
            }
            RawInput in = new RawInput();
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String field = p.currentName();
                p.nextToken();
                switch (field) {
                    case "name" -> in.name = string(p, where + ".name");
                    case "datatype" -> {
                        String name = string(p, where + ".datatype");
                        in.datatype = DataType.parse(name);
                        if (in.datatype == null) {
                            throw new InvalidInputException("'" + where + ".datatype' is not a protocol datatype "
                                    + Arrays.toString(DataType.values()));
                        }
                    }
                    case "shape" -> in.shape = shape(p, where + ".shape");
                    case "parameters" -> parameters(p, where + ".parameters");
                    case "data" -> {
                        long expected = in.shape == null ? -1 : elements(in.shape, where);
                        in.values = new Values(expected < 0 ? 64 : (int) Math.min(expected, 1 << 20));
                        readData(p, in.values, where + ".data", 0);
                    }
                    default -> p.skipChildren();
                }
            }
            for (String required : List.of("name", "datatype", "shape", "data")) {
                boolean missing = switch (required) {
                    case "name" -> in.name == null;
                    case "datatype" -> in.datatype == null;
                    case "shape" -> in.shape == null;
                    default -> in.values == null;
                };
                if (missing) {
                    throw new InvalidInputException("'" + where + "." + required + "' is required"
                            + (in.name != null ? " (input '" + in.name + "')" : ""));
                }
            }
            inputs.add(in);
        }
        return inputs;
    }

    private long elements(long[] shape, String where) {
        long n = 1;
        for (long d : shape) {
            if (d != 0 && n > limits.maxTensorElements() / d) {
                throw new PayloadTooLargeException("'" + where + ".shape' " + Arrays.toString(shape)
                        + " declares more than the limit of " + limits.maxTensorElements()
                        + " elements (ember.limits.max-tensor-elements)");
            }
            n *= d;
        }
        if (n > limits.maxTensorElements()) {
            throw new PayloadTooLargeException("'" + where + ".shape' " + Arrays.toString(shape) + " declares " + n
                    + " elements, more than the limit of " + limits.maxTensorElements()
                    + " (ember.limits.max-tensor-elements)");
        }
        return n;
    }

    private static long[] shape(JsonParser p, String where) throws IOException {
        if (p.currentToken() != JsonToken.START_ARRAY) {
            throw new InvalidInputException("'" + where + "' must be an array of non-negative integers");
        }
        long[] dims = new long[8];
        int n = 0;
        while (p.nextToken() != JsonToken.END_ARRAY) {
            if (p.currentToken() != JsonToken.VALUE_NUMBER_INT || p.getNumberType() == JsonParser.NumberType.BIG_INTEGER
                    || p.getLongValue() < 0) {
                throw new InvalidInputException("'" + where + "' must be an array of non-negative integers");
            }
            if (n == 32) {
                throw new InvalidInputException("'" + where + "' has more than 32 dimensions");
            }
            if (n == dims.length) {
                dims = Arrays.copyOf(dims, n * 2);
            }
            dims[n++] = p.getLongValue();
        }
        return Arrays.copyOf(dims, n);
    }

    private void readData(JsonParser p, Values values, String where, int depth) throws IOException {
        JsonToken t = p.currentToken();
        if (t == JsonToken.START_ARRAY) {
            long length = 0;
            while (p.nextToken() != JsonToken.END_ARRAY) {
                readData(p, values, where, depth + 1);
                length++;
            }
            values.array(depth, length);
            return;
        }
        values.leaf(depth);
        if (values.count >= limits.maxTensorElements()) {
            throw new PayloadTooLargeException("'" + where + "' has more than the limit of "
                    + limits.maxTensorElements() + " elements (ember.limits.max-tensor-elements)");
        }
        switch (t) {
            case VALUE_NUMBER_INT -> {
                if (p.getNumberType() == JsonParser.NumberType.BIG_INTEGER) {
                    BigInteger big = p.getBigIntegerValue();
                    if (big.signum() >= 0 && big.bitLength() <= 64) {
                        values.addUnsigned(big.longValue());
                    } else {
                        // beyond every integer type; a float type may still hold it
                        values.addWide(big.doubleValue());
                    }
                } else {
                    values.addInt(p.getLongValue());
                }
            }
            case VALUE_NUMBER_FLOAT -> values.addFloat(p.getDoubleValue());
            case VALUE_TRUE, VALUE_FALSE -> values.addBool(t == JsonToken.VALUE_TRUE);
            case VALUE_STRING -> values.addString(p.getText());
            default -> throw new InvalidInputException("'" + where + "' must hold numbers, booleans or strings, not "
                    + t.asString());
        }
    }

    private Map<String, Tensor> tensors(List<RawInput> raw, ModelSignature model) {
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        for (RawInput in : raw) {
            TensorSpec spec = model.input(in.name).orElseThrow(() -> new InvalidInputException("unknown input '"
                    + in.name + "': the model's inputs are " + model.inputs().stream().map(TensorSpec::name).toList()));
            if (tensors.containsKey(in.name)) {
                throw new InvalidInputException("input '" + in.name + "' is given twice");
            }
            if (in.datatype != spec.datatype()) {
                throw new InvalidInputException("input '" + in.name + "' has datatype " + in.datatype
                        + " but the model expects " + spec.datatype());
            }
            checkShape(in, spec);
            long n = elements(in.shape, "input '" + in.name + "'");
            checkNesting(in);
            if (in.values.count != n) {
                throw new InvalidInputException("input '" + in.name + "' has " + in.values.count + " values but shape "
                        + Arrays.toString(in.shape) + " needs " + n);
            }
            tensors.put(in.name, in.values.toTensor(in.name, in.datatype, in.shape));
        }
        for (TensorSpec spec : model.inputs()) {
            if (!tensors.containsKey(spec.name())) {
                throw new InvalidInputException("missing input '" + spec.name() + "' (" + spec.datatype()
                        + Arrays.toString(spec.shape()) + ")");
            }
        }
        return tensors;
    }

    private static void checkShape(RawInput in, TensorSpec spec) {
        long[] expected = spec.shape();
        boolean ok = in.shape.length == expected.length;
        for (int i = 0; ok && i < expected.length; i++) {
            ok = expected[i] < 0 || expected[i] == in.shape[i];
        }
        if (!ok) {
            throw new InvalidInputException("input '" + in.name + "' has shape " + Arrays.toString(in.shape)
                    + " but the model expects " + Arrays.toString(expected) + " (-1 = any size)");
        }
    }

    /** Nested data must have the shape's lengths at every level; flat data is read in row-major order. */
    private static void checkNesting(RawInput in) {
        Values v = in.values;
        if (v.ragged) {
            throw new InvalidInputException("input '" + in.name + "' has ragged data: nested arrays at the same level"
                    + " must have the same length (shape " + Arrays.toString(in.shape) + ")");
        }
        if (v.leafDepth <= 1) {
            return;
        }
        boolean ok = v.leafDepth == in.shape.length;
        for (int i = 0; ok && i < in.shape.length; i++) {
            ok = v.lengths[i] == in.shape[i];
        }
        if (!ok) {
            throw new InvalidInputException("input '" + in.name + "' has data nested unlike its shape "
                    + Arrays.toString(in.shape) + ": send the values flat, or nested with the shape's length at"
                    + " every level");
        }
    }

    private static List<String> outputs(JsonParser p) throws IOException {
        if (p.currentToken() != JsonToken.START_ARRAY) {
            throw new InvalidInputException("'outputs' must be an array of {\"name\": ...} objects");
        }
        List<String> names = new ArrayList<>();
        while (p.nextToken() != JsonToken.END_ARRAY) {
            String where = "outputs[" + names.size() + "]";
            if (p.currentToken() != JsonToken.START_OBJECT) {
                throw new InvalidInputException("'" + where + "' must be an object");
            }
            String name = null;
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String field = p.currentName();
                p.nextToken();
                if (field.equals("name")) {
                    name = string(p, where + ".name");
                } else {
                    p.skipChildren();
                }
            }
            if (name == null) {
                throw new InvalidInputException("'" + where + ".name' is required");
            }
            names.add(name);
        }
        return names;
    }

    private static List<String> checkOutputs(List<String> outputs, ModelSignature model) {
        for (String name : outputs) {
            if (model.output(name).isEmpty()) {
                throw new InvalidInputException("unknown output '" + name + "': the model's outputs are "
                        + model.outputs().stream().map(TensorSpec::name).toList());
            }
        }
        return outputs;
    }

    private static String string(JsonParser p, String where) throws IOException {
        if (p.currentToken() != JsonToken.VALUE_STRING) {
            throw new InvalidInputException("'" + where + "' must be a string");
        }
        return p.getText();
    }

    private static Map<String, Object> parameters(JsonParser p, String where) throws IOException {
        if (p.currentToken() != JsonToken.START_OBJECT) {
            throw new InvalidInputException("'" + where + "' must be an object");
        }
        Map<String, Object> parameters = new LinkedHashMap<>();
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String name = p.currentName();
            JsonToken t = p.nextToken();
            switch (t) {
                case VALUE_STRING -> parameters.put(name, p.getText());
                case VALUE_NUMBER_INT -> parameters.put(name, p.getNumberValue());
                case VALUE_NUMBER_FLOAT -> parameters.put(name, p.getDoubleValue());
                case VALUE_TRUE, VALUE_FALSE -> parameters.put(name, t == JsonToken.VALUE_TRUE);
                default -> throw new InvalidInputException("'" + where + "." + name
                        + "' must be a string, number or boolean");
            }
        }
        return parameters;
    }

    /** Writes an inference response; outputs keep the order given. */
    public byte[] encodeResponse(String model, String version, String id, Map<String, Object> parameters,
            Map<String, Tensor> outputs) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(256);
        try (JsonGenerator g = json.createGenerator(out)) {
            g.writeStartObject();
            g.writeStringField("model_name", model);
            g.writeStringField("model_version", version);
            if (id != null) {
                g.writeStringField("id", id);
            }
            if (parameters != null && !parameters.isEmpty()) {
                g.writeFieldName("parameters");
                g.writeStartObject();
                for (Map.Entry<String, Object> e : parameters.entrySet()) {
                    g.writeFieldName(e.getKey());
                    g.writeObject(e.getValue());
                }
                g.writeEndObject();
            }
            g.writeArrayFieldStart("outputs");
            for (Map.Entry<String, Tensor> e : outputs.entrySet()) {
                writeTensor(g, e.getKey(), e.getValue());
            }
            g.writeEndArray();
            g.writeEndObject();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        return out.toByteArray();
    }

    private static void writeTensor(JsonGenerator g, String name, Tensor t) throws IOException {
        g.writeStartObject();
        g.writeStringField("name", name);
        g.writeStringField("datatype", t.datatype().name());
        g.writeArrayFieldStart("shape");
        for (long d : t.shape()) {
            g.writeNumber(d);
        }
        g.writeEndArray();
        g.writeArrayFieldStart("data");
        if (t.datatype() == DataType.BYTES) {
            for (String s : t.strings()) {
                g.writeString(s);
            }
        } else {
            ByteBuffer b = t.data();
            long n = t.elementCount();
            for (long i = 0; i < n; i++) {
                switch (t.datatype()) {
                    case BOOL -> g.writeBoolean(b.get() != 0);
                    case UINT8 -> g.writeNumber(b.get() & 0xff);
                    case INT8 -> g.writeNumber(b.get());
                    case UINT16 -> g.writeNumber(b.getShort() & 0xffff);
                    case INT16 -> g.writeNumber(b.getShort());
                    case UINT32 -> g.writeNumber(b.getInt() & 0xffffffffL);
                    case INT32 -> g.writeNumber(b.getInt());
                    case UINT64 -> g.writeNumber(new BigInteger(Long.toUnsignedString(b.getLong())));
                    case INT64 -> g.writeNumber(b.getLong());
                    case FP16 -> g.writeNumber(Fp16.toFloat(b.getShort()));
                    case FP32 -> g.writeNumber(b.getFloat());
                    case FP64 -> g.writeNumber(b.getDouble());
                    default -> throw new IllegalStateException(t.datatype().name());
                }
            }
        }
        g.writeEndArray();
        g.writeEndObject();
    }

    /** Tensor data as read: integers, floats, booleans or strings, converted once the datatype is known. */
    private static final class Values {
        long[] bits;
        final BitSet floats = new BitSet();
        final BitSet bools = new BitSet();
        final BitSet unsigned = new BitSet();
        /** integers beyond 64 bits, kept as the nearest double for the float types */
        final BitSet wide = new BitSet();
        List<String> strings;
        int count;
        /** depth of the scalars, the length of the arrays at each depth, and whether arrays of one depth differ */
        int leafDepth = -1;
        final long[] lengths = new long[34];
        boolean ragged;

        Values(int capacity) {
            bits = new long[Math.max(capacity, 1)];
            Arrays.fill(lengths, -1);
        }

        void leaf(int depth) {
            if (leafDepth < 0) {
                leafDepth = depth;
            } else if (leafDepth != depth) {
                ragged = true;
            }
        }

        void array(int depth, long length) {
            if (depth >= lengths.length) {
                ragged = true;
            } else if (lengths[depth] < 0) {
                lengths[depth] = length;
            } else if (lengths[depth] != length) {
                ragged = true;
            }
        }

        private void grow() {
            if (count == bits.length) {
                bits = Arrays.copyOf(bits, bits.length * 2);
            }
        }

        void addInt(long v) {
            grow();
            bits[count++] = v;
        }

        void addUnsigned(long v) {
            unsigned.set(count);
            addInt(v);
        }

        void addFloat(double v) {
            floats.set(count);
            addInt(Double.doubleToRawLongBits(v));
        }

        void addWide(double v) {
            wide.set(count);
            addFloat(v);
        }

        void addBool(boolean v) {
            bools.set(count);
            addInt(v ? 1 : 0);
        }

        void addString(String s) {
            if (strings == null) {
                strings = new ArrayList<>();
            }
            strings.add(s);
            grow();
            bits[count++] = strings.size() - 1;
        }

        Tensor toTensor(String name, DataType type, long[] shape) {
            if (type == DataType.BYTES) {
                if (strings == null || strings.size() != count) {
                    throw new InvalidInputException("input '" + name + "' is BYTES: its data must be strings");
                }
                return Tensor.ofStrings(shape, strings.toArray(String[]::new));
            }
            if (strings != null) {
                throw new InvalidInputException("input '" + name + "' is " + type + ": its data must be "
                        + (type == DataType.BOOL ? "booleans" : "numbers") + ", not strings");
            }
            ByteBuffer b = Tensor.allocate((long) count * type.size());
            for (int i = 0; i < count; i++) {
                switch (type) {
                    case FP32 -> b.putFloat(fp32(name, i));
                    case FP64 -> b.putDouble(fp64(name, i));
                    case FP16 -> b.putShort(fp16(name, i));
                    case BOOL -> b.put((byte) (bool(name, i) ? 1 : 0));
                    case INT8 -> b.put((byte) integer(name, i, type, Byte.MIN_VALUE, Byte.MAX_VALUE));
                    case UINT8 -> b.put((byte) integer(name, i, type, 0, 255));
                    case INT16 -> b.putShort((short) integer(name, i, type, Short.MIN_VALUE, Short.MAX_VALUE));
                    case UINT16 -> b.putShort((short) integer(name, i, type, 0, 65535));
                    case INT32 -> b.putInt((int) integer(name, i, type, Integer.MIN_VALUE, Integer.MAX_VALUE));
                    case UINT32 -> b.putInt((int) integer(name, i, type, 0, 0xffffffffL));
                    case INT64 -> b.putLong(integer(name, i, type, Long.MIN_VALUE, Long.MAX_VALUE));
                    case UINT64 -> b.putLong(unsigned.get(i) ? bits[i] : integer(name, i, type, 0, Long.MAX_VALUE));
                    default -> throw new IllegalStateException(type.name());
                }
            }
            b.flip();
            return Tensor.of(type, shape, b);
        }

        private double real(String name, int i) {
            if (bools.get(i)) {
                throw new InvalidInputException("input '" + name + "' data[" + i + "] is a boolean, not a number");
            }
            if (floats.get(i)) {
                return Double.longBitsToDouble(bits[i]);
            }
            return unsigned.get(i) ? new BigInteger(Long.toUnsignedString(bits[i])).doubleValue() : bits[i];
        }

        // a float type refuses what it cannot hold rather than storing infinity
        private float fp32(String name, int i) {
            float f = (float) real(name, i);
            if (Float.isInfinite(f)) {
                throw outOfRange(name, i, DataType.FP32, "[" + -Float.MAX_VALUE + ", " + Float.MAX_VALUE + "]");
            }
            return f;
        }

        private double fp64(String name, int i) {
            double d = real(name, i);
            if (Double.isInfinite(d)) {
                throw outOfRange(name, i, DataType.FP64, "[" + -Double.MAX_VALUE + ", " + Double.MAX_VALUE + "]");
            }
            return d;
        }

        private short fp16(String name, int i) {
            short h = Fp16.fromFloat((float) real(name, i));
            if ((h & 0x7fff) == 0x7c00) {
                throw outOfRange(name, i, DataType.FP16, "[-65504, 65504]");
            }
            return h;
        }

        private static InvalidInputException outOfRange(String name, int i, DataType type, String range) {
            return new InvalidInputException("input '" + name + "' is " + type + ": data[" + i
                    + "] is out of range: outside the " + type + " range " + range);
        }

        private boolean bool(String name, int i) {
            if (bools.get(i)) {
                return bits[i] != 0;
            }
            if (!floats.get(i) && !unsigned.get(i) && (bits[i] == 0 || bits[i] == 1)) {
                return bits[i] == 1;
            }
            throw new InvalidInputException("input '" + name + "' is BOOL: data[" + i
                    + "] must be true or false (or the integers 0 and 1)");
        }

        private long integer(String name, int i, DataType type, long min, long max) {
            String range = "[" + min + ", " + (type == DataType.UINT64 ? "18446744073709551615" : max) + "]";
            long v;
            if (bools.get(i)) {
                throw new InvalidInputException("input '" + name + "' is " + type + ": data[" + i
                        + "] is a boolean, not an integer");
            }
            if (wide.get(i) || unsigned.get(i)) {
                throw outOfRange(name, i, type, range);
            }
            if (floats.get(i)) {
                // written with a fraction or an exponent (1.0, 1e3): exact only while it is an integer below 2^53
                double d = Double.longBitsToDouble(bits[i]);
                double upper = type == DataType.UINT64 ? 0x1p64 : (double) max + 1;
                if (Double.isNaN(d) || d < (double) min || d >= upper) {
                    throw outOfRange(name, i, type, range);
                }
                if (d != Math.rint(d)) {
                    throw new InvalidInputException("input '" + name + "' is " + type + ": data[" + i
                            + "] is not an integer");
                }
                if (Math.abs(d) >= 0x1p53) {
                    throw new InvalidInputException("input '" + name + "' is " + type + ": data[" + i
                            + "] is written with a fraction or an exponent at or beyond 2^53, where it cannot be read"
                            + " exactly: write it as a plain integer");
                }
                v = (long) d;
            } else {
                v = bits[i];
            }
            if (v < min || v > max) {
                throw outOfRange(name, i, type, range);
            }
            return v;
        }
    }
}
