package dev.ember.runtime.protocol;

import dev.ember.runtime.api.ModelCall;
import dev.ember.runtime.api.ModelSignature;
import dev.ember.runtime.api.Tensor;
import dev.ember.runtime.config.EmberConfig;
import dev.ember.runtime.traffic.FunctionInvoker;
import dev.ember.runtime.traffic.Invocation;
import dev.ember.runtime.traffic.VersionSelector;
import jakarta.enterprise.context.ApplicationScoped;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

/**
 * The plain tensor behaviour: a model with no Java function takes an Open Inference Protocol request and answers
 * with an Open Inference Protocol response, on {@code /v2/models/{m}/infer} and on {@code /functions/{m}}.
 */
@ApplicationScoped
public class TensorCalls {

    private final FunctionInvoker invoker;
    private final V2Codec codec;

    TensorCalls(FunctionInvoker invoker, EmberConfig config) {
        this.invoker = invoker;
        this.codec = new V2Codec(RequestLimits.of(config.limits()));
    }

    public V2Codec codec() {
        return codec;
    }

    /** Runs a v2 request on a version of {@code model}; the response body carries the version that served it. */
    public CompletableFuture<Invocation<byte[]>> infer(String model, VersionSelector selector, byte[] body) {
        return invoker.invoke(model, selector, signature -> call(signature, body), Map.of())
                .thenApply(inv -> {
                    Answer a = inv.response();
                    return new Invocation<>(inv.served(), codec.encodeResponse(model,
                            String.valueOf(inv.served().version()), a.request().id(), a.request().parameters(),
                            a.outputs()));
                });
    }

    /** A request and its outputs, in the order asked for (the model's order when none was asked for). */
    private record Answer(V2Request request, Map<String, Tensor> outputs) {
    }

    private ModelCall<Answer> call(ModelSignature signature, byte[] body) {
        V2Request request = codec.decode(body, signature);
        List<String> order = request.outputs().isEmpty()
                ? signature.outputs().stream().map(t -> t.name()).toList() : request.outputs();
        return new ModelCall<>(request.inputs(), Set.copyOf(request.outputs()), outputs -> {
            Map<String, Tensor> ordered = new LinkedHashMap<>();
            order.forEach(name -> ordered.put(name, outputs.get(name)));
            return new Answer(request, ordered);
        });
    }
}
