package dev.ember.runtime.protocol;

import dev.ember.runtime.api.ModelId;
import dev.ember.runtime.api.NotFoundException;
import dev.ember.runtime.api.TensorSpec;
import dev.ember.runtime.invoke.DataPlane;
import dev.ember.runtime.lifecycle.ShutdownDrain;
import dev.ember.runtime.pool.ModelState;
import dev.ember.runtime.pool.WarmPool;
import dev.ember.runtime.repository.ModelCatalog;
import dev.ember.runtime.repository.ModelNames;
import dev.ember.runtime.traffic.TrafficRouter;
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
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.parameters.RequestBody;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionStage;

/** Open Inference Protocol model endpoints: metadata, readiness and inference, with or without a version. */
@Path("/v2/models/{model}")
@Produces(MediaType.APPLICATION_JSON)
public class ModelResource {

    private final ModelCatalog catalog;
    private final TrafficRouter router;
    private final DataPlane dataPlane;
    private final WarmPool pool;
    private final ShutdownDrain drain;
    private final ModelStatistics statistics;

    ModelResource(ModelCatalog catalog, TrafficRouter router, DataPlane dataPlane, WarmPool pool,
            ShutdownDrain drain, ModelStatistics statistics) {
        this.catalog = catalog;
        this.router = router;
        this.dataPlane = dataPlane;
        this.pool = pool;
        this.drain = drain;
        this.statistics = statistics;
    }

    @APIResponse(responseCode = "200", description = "OK",
            content = @Content(mediaType = "application/json", schema = @Schema(ref = "model_metadata_response")))
    @APIResponse(responseCode = "404", ref = "not_found")
    @APIResponse(responseCode = "503", ref = "unavailable")
    @GET
    @Blocking
    public CompletionStage<Map<String, Object>> metadata(@PathParam("model") String model) {
        return metadata(router.primary(model));
    }

    @APIResponse(responseCode = "200", description = "OK",
            content = @Content(mediaType = "application/json", schema = @Schema(ref = "model_metadata_response")))
    @APIResponse(responseCode = "404", ref = "not_found")
    @APIResponse(responseCode = "503", ref = "unavailable")
    @GET
    @Path("/versions/{version}")
    @Blocking
    public CompletionStage<Map<String, Object>> versionMetadata(@PathParam("model") String model,
            @PathParam("version") String version) {
        return metadata(id(model, version));
    }

    @APIResponse(responseCode = "200", description = "The version can serve now (a cold one loads on demand)",
            content = @Content(mediaType = "application/json", schema = @Schema(ref = "model_ready_response")))
    @APIResponse(responseCode = "503", description = "The version failed to load or is draining",
            content = @Content(mediaType = "application/json", schema = @Schema(ref = "model_ready_response")))
    @APIResponse(responseCode = "404", ref = "not_found")
    @GET
    @Path("/ready")
    public Response ready(@PathParam("model") String model) {
        return ready(router.primary(model));
    }

    @APIResponse(responseCode = "200", description = "The version can serve now (a cold one loads on demand)",
            content = @Content(mediaType = "application/json", schema = @Schema(ref = "model_ready_response")))
    @APIResponse(responseCode = "503", description = "The version failed to load or is draining",
            content = @Content(mediaType = "application/json", schema = @Schema(ref = "model_ready_response")))
    @APIResponse(responseCode = "404", ref = "not_found")
    @GET
    @Path("/versions/{version}/ready")
    public Response versionReady(@PathParam("model") String model, @PathParam("version") String version) {
        return ready(id(model, version));
    }

    /** Triton's statistics extension: every version of the model. */
    @APIResponse(responseCode = "200", description = "Triton's statistics extension",
            content = @Content(mediaType = "application/json", schema = @Schema(ref = "model_statistics_response")))
    @APIResponse(responseCode = "404", ref = "not_found")
    @GET
    @Path("/stats")
    public Map<String, Object> statistics(@PathParam("model") String model) {
        if (!catalog.contains(model)) {
            throw new NotFoundException("unknown model '" + model + "'");
        }
        return statistics.of(catalog.versions(model).keySet().stream().map(v -> new ModelId(model, v)).toList());
    }

    @APIResponse(responseCode = "200", description = "Triton's statistics extension",
            content = @Content(mediaType = "application/json", schema = @Schema(ref = "model_statistics_response")))
    @APIResponse(responseCode = "404", ref = "not_found")
    @GET
    @Path("/versions/{version}/stats")
    public Map<String, Object> versionStatistics(@PathParam("model") String model,
            @PathParam("version") String version) {
        return statistics.of(List.of(id(model, version)));
    }

    @RequestBody(content = @Content(mediaType = "application/json", schema = @Schema(ref = "inference_request")))
    @APIResponse(responseCode = "200", description = "The outputs; Ember-Version names the version",
            content = @Content(mediaType = "application/json", schema = @Schema(ref = "inference_response")))
    @APIResponse(responseCode = "4XX", ref = "refused")
    @APIResponse(responseCode = "5XX", ref = "overloaded")
    @POST
    @Path("/infer")
    @Blocking
    @Consumes(MediaType.APPLICATION_JSON)
    public CompletionStage<Response> infer(@PathParam("model") String model,
            @HeaderParam("Ember-Tag") String tag, byte[] body) {
        return infer(model, VersionSelector.tagged(tag), body);
    }

    @RequestBody(content = @Content(mediaType = "application/json", schema = @Schema(ref = "inference_request")))
    @APIResponse(responseCode = "200", description = "The outputs; Ember-Version names the version",
            content = @Content(mediaType = "application/json", schema = @Schema(ref = "inference_response")))
    @APIResponse(responseCode = "4XX", ref = "refused")
    @APIResponse(responseCode = "5XX", ref = "overloaded")
    @POST
    @Path("/versions/{version}/infer")
    @Blocking
    @Consumes(MediaType.APPLICATION_JSON)
    public CompletionStage<Response> inferVersion(@PathParam("model") String model,
            @PathParam("version") String version, byte[] body) {
        return infer(model, VersionSelector.pinned(id(model, version).version()), body);
    }

    private CompletionStage<Response> infer(String model, VersionSelector selector, byte[] body) {
        return dataPlane.infer(model, selector, body).thenApply(inv -> Response.ok(inv.response(),
                MediaType.APPLICATION_JSON).header("Ember-Version", String.valueOf(inv.served().version())).build());
    }

    private CompletionStage<Map<String, Object>> metadata(ModelId id) {
        return dataPlane.model(id).thenApply(loaded -> {
            Map<String, Object> body = new LinkedHashMap<>();
            body.put("name", id.model());
            body.put("versions", catalog.versions(id.model()).keySet().stream().map(String::valueOf).toList());
            body.put("platform", "onnxruntime_onnx");
            body.put("inputs", loaded.signature().inputs().stream().map(ModelResource::tensor).toList());
            body.put("outputs", loaded.signature().outputs().stream().map(ModelResource::tensor).toList());
            return body;
        });
    }

    private static Map<String, Object> tensor(TensorSpec t) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("name", t.name());
        m.put("datatype", t.datatype().name());
        m.put("shape", t.shape());
        return m;
    }

    private Response ready(ModelId id) {
        ModelState state = pool.state(id);
        boolean ok = state.canServe() && !drain.draining();
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("name", id.model());
        body.put("version", String.valueOf(id.version()));
        body.put("ready", ok);
        body.put("state", state.name().toLowerCase());
        pool.error(id).ifPresent(e -> body.put("error", e));
        return Response.status(ok ? 200 : 503).entity(body).build();
    }

    private ModelId id(String model, String version) {
        int v = ModelNames.parseVersion(version);
        if (!catalog.contains(model)) {
            throw new NotFoundException("unknown model '" + model + "'");
        }
        if (v < 0 || !catalog.versions(model).containsKey(v)) {
            throw new NotFoundException("model '" + model + "' has no version '" + version + "'; versions: "
                    + List.copyOf(catalog.versions(model).keySet()));
        }
        return new ModelId(model, v);
    }
}
