package dev.ember.runtime.codec;

import dev.ember.runtime.api.Tensor;

import java.util.List;
import java.util.Map;

/** A decoded Open Inference Protocol request: inputs checked against the model, outputs wanted, id and parameters. */
public record V2Request(String id, Map<String, Object> parameters, Map<String, Tensor> inputs, List<String> outputs) {
}
