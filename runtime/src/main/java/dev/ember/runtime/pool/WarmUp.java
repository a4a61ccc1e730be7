package dev.ember.runtime.pool;

import dev.ember.runtime.api.DataType;
import dev.ember.runtime.api.ModelSignature;
import dev.ember.runtime.api.Tensor;
import dev.ember.runtime.api.TensorSpec;
import dev.ember.runtime.onnx.LoadedModel;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One warm-up inference on a freshly loaded pinned ({@code min-warm}) version, run before the version turns warm
 * so that the first real request finds the session's allocations and kernels ready.
 */
@FunctionalInterface
public interface WarmUp {

    /** Runs one inference; a failure fails the version's load. */
    void run(LoadedModel model);

    /** Creates ahead of time what warm-ups will need (start-up calls it in the background); nothing by default. */
    default void prepare() {
    }

    /** Inputs any model accepts: every dynamic dimension 1, zeros, empty strings. */
    static Map<String, Tensor> sampleInputs(ModelSignature signature) {
        Map<String, Tensor> inputs = new LinkedHashMap<>();
        for (TensorSpec spec : signature.inputs()) {
            long[] shape = Arrays.stream(spec.shape()).map(d -> d < 0 ? 1 : d).toArray();
            int count = Math.toIntExact(Tensor.elementCount(shape));
            inputs.put(spec.name(), spec.datatype() == DataType.BYTES
                    ? Tensor.ofStrings(shape, filled(count))
                    : Tensor.of(spec.datatype(), shape, Tensor.allocate((long) count * spec.datatype().size())));
        }
        return inputs;
    }

    private static String[] filled(int count) {
        String[] values = new String[count];
        Arrays.fill(values, "");
        return values;
    }
}
