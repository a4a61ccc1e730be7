package dev.ember.runtime.protocol;

import dev.ember.runtime.health.Readiness;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;

import java.util.List;
import java.util.Map;

/** Open Inference Protocol server metadata and health. */
@Path("/v2")
@Produces(MediaType.APPLICATION_JSON)
public class ServerResource {

    private final Readiness readiness;
    private final String version;

    ServerResource(Readiness readiness, @ConfigProperty(name = "quarkus.application.version", defaultValue = "0")
            String version) {
        this.readiness = readiness;
        this.version = version;
    }

    @APIResponse(responseCode = "200", description = "OK",
            content = @Content(mediaType = "application/json", schema = @Schema(ref = "server_metadata_response")))
    @GET
    public Map<String, Object> metadata() {
        return Map.of("name", "ember", "version", version,
                "extensions", List.of("model_repository", "statistics", "functions", "embeddings", "traffic_split"));
    }

    @APIResponse(responseCode = "200", description = "The process is live",
            content = @Content(mediaType = "application/json", schema = @Schema(ref = "server_live_response")))
    @GET
    @Path("/health/live")
    public Map<String, Object> live() {
        return Map.of("live", true);
    }

    @APIResponse(responseCode = "200", description = "Every pinned model is loaded and warmed",
            content = @Content(mediaType = "application/json", schema = @Schema(ref = "server_ready_response")))
    @APIResponse(responseCode = "503", description = "Not ready yet, or draining",
            content = @Content(mediaType = "application/json", schema = @Schema(ref = "server_ready_response")))
    @GET
    @Path("/health/ready")
    public Response ready() {
        String reason = readiness.notReadyReason();
        return reason == null ? Response.ok(Map.of("ready", true)).build()
                : Response.status(503).entity(Map.of("ready", false, "error", "not ready: " + reason)).build();
    }
}
