package dev.ember.runtime.http;

import dev.ember.runtime.api.InferenceFunction;
import dev.ember.runtime.protocol.TensorCalls;
import dev.ember.runtime.traffic.FunctionInvoker;
import dev.ember.runtime.traffic.FunctionRegistry;
import dev.ember.runtime.traffic.Invocation;
import dev.ember.runtime.traffic.VersionSelector;
import jakarta.enterprise.context.ApplicationScoped;

import java.util.concurrent.CompletableFuture;

/**
 * Invokes a function by name with the caller's JSON body, for every ingress (HTTP, CloudEvents): a Java function
 * reads its own request type, a plain model reads an Open Inference Protocol request. The result is the JSON
 * response body and the version that served it; failures are the typed exceptions of {@code api}.
 */
@ApplicationScoped
public class FunctionCalls {

    private final FunctionRegistry functions;
    private final FunctionInvoker invoker;
    private final TensorCalls tensors;
    private final JsonBodies json;

    FunctionCalls(FunctionRegistry functions, FunctionInvoker invoker, TensorCalls tensors, JsonBodies json) {
        this.functions = functions;
        this.invoker = invoker;
        this.tensors = tensors;
        this.json = json;
    }

    public CompletableFuture<Invocation<byte[]>> invoke(String function, VersionSelector selector, byte[] body) {
        return functions.find(function)
                .map(f -> invokeJava(f, selector, body))
                .orElseGet(() -> tensors.infer(function, selector, body));
    }

    private <Q, R> CompletableFuture<Invocation<byte[]>> invokeJava(InferenceFunction<Q, R> f,
            VersionSelector selector, byte[] body) {
        Q request = json.read(body, f.requestType());
        return invoker.invoke(f.name(), selector, signature -> f.prepare(request, signature), f.padValues())
                .thenApply(inv -> new Invocation<>(inv.served(), json.write(inv.response())));
    }
}
