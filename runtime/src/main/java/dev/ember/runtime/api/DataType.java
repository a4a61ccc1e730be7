package dev.ember.runtime.api;

import java.util.Locale;

/** Open Inference Protocol tensor datatypes, with their element size in bytes (0 for BYTES: variable). */
public enum DataType {
    BOOL(1), UINT8(1), UINT16(2), UINT32(4), UINT64(8),
    INT8(1), INT16(2), INT32(4), INT64(8),
    FP16(2), FP32(4), FP64(8),
    BYTES(0);

    private final int size;

    DataType(int size) {
        this.size = size;
    }

    public int size() {
        return size;
    }

    public boolean isFixedSize() {
        return size > 0;
    }

    /** Parses a protocol datatype name; null when it is not one. */
    public static DataType parse(String name) {
        if (name == null) {
            return null;
        }
        try {
            return valueOf(name.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            return null;
        }
    }
}
