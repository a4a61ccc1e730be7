package dev.ember.runtime.http;

import dev.ember.runtime.api.InferenceFunction;
import dev.ember.runtime.api.NotFoundException;
import dev.ember.runtime.protocol.TensorCalls;
import dev.ember.runtime.repository.ModelNames;
import dev.ember.runtime.traffic.FunctionInvoker;
import dev.ember.runtime.traffic.FunctionRegistry;
import dev.ember.runtime.traffic.Invocation;
import dev.ember.runtime.traffic.TrafficRouter;
import dev.ember.runtime.traffic.TrafficSplit;
import dev.ember.runtime.traffic.VersionSelector;
import io.smallrye.common.annotation.Blocking;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionStage;

/**
 * {@code POST /functions/{f}[/versions/{v}]}: a Java function takes its own JSON request type, a plain model takes
 * an Open Inference Protocol request. {@code Ember-Tag} selects a tagged version; {@code Ember-Version} says which
 * version served.
 */
@Path("/functions/{function}")
@Produces(MediaType.APPLICATION_JSON)
public class FunctionResource {

    public static final String TAG_HEADER = "Ember-Tag";
    public static final String VERSION_HEADER = "Ember-Version";

    private final FunctionRegistry functions;
    private final FunctionInvoker invoker;
    private final TensorCalls tensors;
    private final JsonBodies json;
    private final TrafficRouter router;

    FunctionResource(FunctionRegistry functions, FunctionInvoker invoker, TensorCalls tensors, JsonBodies json,
            TrafficRouter router) {
        this.functions = functions;
        this.invoker = invoker;
        this.tensors = tensors;
        this.json = json;
        this.router = router;
    }

    @POST
    @Blocking
    @Consumes(MediaType.APPLICATION_JSON)
    public CompletionStage<Response> invoke(@PathParam("function") String function,
            @HeaderParam(TAG_HEADER) String tag, byte[] body) {
        return invoke(function, VersionSelector.tagged(tag), body);
    }

    @POST
    @Path("/versions/{version}")
    @Blocking
    @Consumes(MediaType.APPLICATION_JSON)
    public CompletionStage<Response> invokeVersion(@PathParam("function") String function,
            @PathParam("version") String version, byte[] body) {
        return invoke(function, VersionSelector.pinned(version(function, version)), body);
    }

    @GET
    @Path("/traffic")
    public Map<String, List<Map<String, Object>>> traffic(@PathParam("function") String function) {
        TrafficSplit split = router.split(function);
        return Map.of("traffic", split.targets().stream().map(FunctionResource::target).toList());
    }

    private static Map<String, Object> target(TrafficSplit.Target t) {
        return t.tag() == null ? Map.of("version", String.valueOf(t.version()), "percent", t.percent())
                : Map.of("version", String.valueOf(t.version()), "percent", t.percent(), "tag", t.tag());
    }

    /** Invokes a function by name with the caller's JSON body; shared with the other function-facing endpoints. */
    public CompletionStage<Response> invoke(String function, VersionSelector selector, byte[] body) {
        return functions.find(function)
                .map(f -> invokeJava(f, selector, body))
                .orElseGet(() -> tensors.infer(function, selector, body)
                        .thenApply(inv -> ok(inv, inv.response())));
    }

    private <Q, R> CompletionStage<Response> invokeJava(InferenceFunction<Q, R> f, VersionSelector selector,
            byte[] body) {
        Q request = json.read(body, f.requestType());
        return invoker.invoke(f.name(), selector, signature -> f.prepare(request, signature), f.padValues())
                .thenApply(inv -> ok(inv, json.write(inv.response())));
    }

    static Response ok(Invocation<?> inv, byte[] body) {
        return Response.ok(body, MediaType.APPLICATION_JSON)
                .header(VERSION_HEADER, String.valueOf(inv.served().version())).build();
    }

    static int version(String function, String version) {
        int v = ModelNames.parseVersion(version);
        if (v < 0) {
            throw new NotFoundException("function '" + function + "' has no version '" + version
                    + "' (versions are positive integers)");
        }
        return v;
    }
}
