package dev.ember.runtime.api;

import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * One prepared model invocation: the input tensors, the outputs wanted (empty = all), and the step that turns
 * this call's slice of the outputs into a response. The step may keep whatever it needs from preparation.
 */
public record ModelCall<R>(Map<String, Tensor> inputs, Set<String> outputs, Function<Map<String, Tensor>, R> respond) {

    public ModelCall {
        inputs = Map.copyOf(inputs);
        outputs = Set.copyOf(outputs);
    }

    public static <R> ModelCall<R> of(Map<String, Tensor> inputs, Function<Map<String, Tensor>, R> respond) {
        return new ModelCall<>(inputs, Set.of(), respond);
    }

    /** Rows this call contributes along the batch dimension (the first dimension of its inputs). */
    public long rows() {
        return inputs.values().stream().filter(t -> t.rank() > 0).mapToLong(t -> t.dim(0)).findFirst().orElse(1);
    }
}
