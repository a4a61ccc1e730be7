package dev.ember.runtime.invoke;

import dev.ember.runtime.api.ModelCall;
import dev.ember.runtime.api.ModelId;
import dev.ember.runtime.api.ModelSignature;
import dev.ember.runtime.api.Tensor;
import dev.ember.runtime.codec.V2Codec;
import dev.ember.runtime.codec.V2Request;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The plain tensor behaviour: an Open Inference Protocol request in, decoded against the model's signature, and
 * an Open Inference Protocol response out, with the outputs in the order asked for (the model's order when none
 * was asked for).
 */
final class TensorFunction {

    private final V2Codec codec;

    TensorFunction(V2Codec codec) {
        this.codec = codec;
    }

    /** A request and its outputs in the order to answer them. */
    record Answer(V2Request request, Map<String, Tensor> outputs) {
    }

    ModelCall<Answer> prepare(byte[] body, ModelSignature signature) {
        V2Request request = codec.decode(body, signature);
        List<String> order = request.outputs().isEmpty()
                ? signature.outputs().stream().map(t -> t.name()).toList() : request.outputs();
        return new ModelCall<>(request.inputs(), Set.copyOf(request.outputs()), outputs -> {
            Map<String, Tensor> ordered = new LinkedHashMap<>();
            order.forEach(name -> ordered.put(name, outputs.get(name)));
            return new Answer(request, ordered);
        });
    }

    byte[] encode(ModelId served, Answer answer) {
        return codec.encodeResponse(served.model(), String.valueOf(served.version()), answer.request().id(),
                answer.request().parameters(), answer.outputs());
    }
}
