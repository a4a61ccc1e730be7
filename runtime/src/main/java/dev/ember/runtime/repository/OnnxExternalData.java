package dev.ember.runtime.repository;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashSet;
import java.util.Set;

/**
 * Reads the external data locations of an ONNX model ({@code TensorProto.external_data} entries with key
 * {@code location}) from its protobuf, seeking over tensor data instead of reading it, so a model of any size is
 * checked in a few reads. It walks every place a tensor can live: initializers, sparse initializers, node attributes
 * (tensors and subgraphs, recursively), model-local functions and training graphs.
 */
final class OnnxExternalData {

    /** The file is not a protobuf ONNX Runtime could read either. */
    static final class MalformedModelException extends Exception {
        MalformedModelException(String message) {
            super(message);
        }
    }

    private enum Kind { MODEL, TRAINING_INFO, GRAPH, NODE, ATTRIBUTE, SPARSE_TENSOR, TENSOR, FUNCTION, ENTRY }

    private static final int MAX_DEPTH = 64;
    private static final int MAX_STRING = 1 << 16;

    private final FileChannel channel;
    private final long size;
    private final ByteBuffer buffer = ByteBuffer.allocate(8192);
    private long bufferStart;
    private final Set<String> locations = new LinkedHashSet<>();

    private OnnxExternalData(FileChannel channel) throws IOException {
        this.channel = channel;
        this.size = channel.size();
        buffer.limit(0);
    }

    /** Every distinct external data location the model names, in order of appearance. */
    static Set<String> locations(Path model) throws IOException, MalformedModelException {
        try (FileChannel channel = FileChannel.open(model, StandardOpenOption.READ)) {
            OnnxExternalData reader = new OnnxExternalData(channel);
            reader.message(Kind.MODEL, 0, reader.size, 0);
            return reader.locations;
        }
    }

    private void message(Kind kind, long start, long end, int depth) throws IOException, MalformedModelException {
        if (depth > MAX_DEPTH) {
            throw new MalformedModelException("nested more than " + MAX_DEPTH + " deep");
        }
        seek(start);
        String key = null;
        String value = null;
        while (position() < end) {
            long tag = varint();
            int field = (int) (tag >>> 3);
            int wire = (int) (tag & 7);
            if (field == 0) {
                throw new MalformedModelException("field number 0");
            }
            switch (wire) {
                case 0 -> varint();
                case 1 -> seek(position() + 8);
                case 5 -> seek(position() + 4);
                case 2 -> {
                    long length = varint();
                    long from = position();
                    if (length < 0 || from + length > end) {
                        throw new MalformedModelException("a field runs past its message");
                    }
                    Kind child = child(kind, field);
                    if (child != null) {
                        message(child, from, from + length, depth + 1);
                    } else if (kind == Kind.ENTRY && (field == 1 || field == 2)) {
                        String s = string(length);
                        if (field == 1) {
                            key = s;
                        } else {
                            value = s;
                        }
                    }
                    seek(from + length);
                }
                default -> throw new MalformedModelException("wire type " + wire);
            }
        }
        if (position() != end) {
            throw new MalformedModelException("a field runs past its message");
        }
        if (kind == Kind.ENTRY && "location".equals(key) && value != null) {
            locations.add(value);
        }
    }

    /** The kind of a length-delimited field that can hold a tensor, else null (skipped). Field numbers of onnx.proto. */
    private static Kind child(Kind parent, int field) {
        return switch (parent) {
            case MODEL -> field == 7 ? Kind.GRAPH : field == 25 ? Kind.FUNCTION : field == 20 ? Kind.TRAINING_INFO : null;
            case TRAINING_INFO -> field == 1 || field == 2 ? Kind.GRAPH : null;
            case GRAPH -> field == 1 ? Kind.NODE : field == 5 ? Kind.TENSOR : field == 15 ? Kind.SPARSE_TENSOR : null;
            case FUNCTION -> field == 7 ? Kind.NODE : field == 11 ? Kind.ATTRIBUTE : null;
            case NODE -> field == 5 ? Kind.ATTRIBUTE : null;
            case ATTRIBUTE -> switch (field) {
                case 5, 10 -> Kind.TENSOR;
                case 6, 11 -> Kind.GRAPH;
                case 22, 23 -> Kind.SPARSE_TENSOR;
                default -> null;
            };
            case SPARSE_TENSOR -> field == 1 || field == 2 ? Kind.TENSOR : null;
            case TENSOR -> field == 13 ? Kind.ENTRY : null;
            case ENTRY -> null;
        };
    }

    private String string(long length) throws IOException, MalformedModelException {
        if (length > MAX_STRING) {
            throw new MalformedModelException("an external data entry longer than " + MAX_STRING + " bytes");
        }
        byte[] bytes = new byte[(int) length];
        for (int i = 0; i < bytes.length; i++) {
            bytes[i] = (byte) read();
        }
        return new String(bytes, StandardCharsets.UTF_8);
    }

    private long varint() throws IOException, MalformedModelException {
        long value = 0;
        for (int shift = 0; shift < 64; shift += 7) {
            int b = read();
            value |= (long) (b & 0x7F) << shift;
            if ((b & 0x80) == 0) {
                return value;
            }
        }
        throw new MalformedModelException("a varint longer than 10 bytes");
    }

    private long position() {
        return bufferStart + buffer.position();
    }

    private void seek(long to) throws MalformedModelException {
        if (to > size) {
            throw new MalformedModelException("truncated");
        }
        if (to >= bufferStart && to <= bufferStart + buffer.limit()) {
            buffer.position((int) (to - bufferStart));
        } else {
            bufferStart = to;
            buffer.limit(0);
        }
    }

    private int read() throws IOException, MalformedModelException {
        if (!buffer.hasRemaining()) {
            bufferStart = position();
            buffer.clear();
            int n;
            do {
                n = channel.read(buffer, bufferStart);
            } while (n == 0);
            buffer.flip();
            if (n < 0) {
                throw new MalformedModelException("truncated");
            }
        }
        return buffer.get() & 0xFF;
    }
}
