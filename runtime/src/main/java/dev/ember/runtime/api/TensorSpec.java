package dev.ember.runtime.api;

import java.util.Arrays;

/** Name, datatype and shape of a model input or output; -1 marks a dynamic dimension. */
public record TensorSpec(String name, DataType datatype, long[] shape) {

    public boolean hasDynamicBatch() {
        return shape.length > 0 && shape[0] == -1;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TensorSpec t && name.equals(t.name) && datatype == t.datatype && Arrays.equals(shape, t.shape);
    }

    @Override
    public int hashCode() {
        return name.hashCode() * 31 + Arrays.hashCode(shape);
    }

    @Override
    public String toString() {
        return name + ":" + datatype + Arrays.toString(shape);
    }
}
