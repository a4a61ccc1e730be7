package dev.ember.runtime.api;

import java.util.List;
import java.util.Optional;

/** The inputs and outputs a model declares, in the model's own order. */
public record ModelSignature(List<TensorSpec> inputs, List<TensorSpec> outputs) {

    public ModelSignature {
        inputs = List.copyOf(inputs);
        outputs = List.copyOf(outputs);
    }

    public Optional<TensorSpec> input(String name) {
        return inputs.stream().filter(t -> t.name().equals(name)).findFirst();
    }

    public Optional<TensorSpec> output(String name) {
        return outputs.stream().filter(t -> t.name().equals(name)).findFirst();
    }

    /** True when every input and output has a dynamic first dimension, so requests can be stacked along it. */
    public boolean batchable() {
        return !inputs.isEmpty() && inputs.stream().allMatch(TensorSpec::hasDynamicBatch)
                && outputs.stream().allMatch(TensorSpec::hasDynamicBatch);
    }
}
