package dev.ember.runtime.http;

import dev.ember.runtime.management.ManagementAuth;
import com.fasterxml.jackson.databind.JsonNode;
import dev.ember.runtime.api.NotFoundException;
import dev.ember.runtime.codec.JsonBodies;
import dev.ember.runtime.invoke.DataPlane;
import dev.ember.runtime.repository.ModelNames;
import dev.ember.runtime.invoke.Invocation;
import dev.ember.runtime.traffic.TrafficBlock;
import dev.ember.runtime.traffic.TrafficRouter;
import dev.ember.runtime.traffic.VersionSelector;
import io.smallrye.common.annotation.Blocking;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.PUT;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.parameters.RequestBody;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;

import java.util.concurrent.CompletionStage;

/**
 * {@code POST /functions/{f}[/versions/{v}]}: a Java function takes its own JSON request type, a plain model takes
 * an Open Inference Protocol request. {@code Ember-Tag} selects a tagged version; {@code Ember-Version} says which
 * version served. {@code GET|PUT /functions/{f}/traffic} read and replace the version split (PUT is a management write).
 */
@Path("/functions/{function}")
@Produces(MediaType.APPLICATION_JSON)
public class FunctionResource {

    public static final String TAG_HEADER = "Ember-Tag";
    public static final String VERSION_HEADER = "Ember-Version";

    private final DataPlane dataPlane;
    private final TrafficRouter router;
    private final ManagementAuth auth;
    private final JsonBodies json;

    FunctionResource(DataPlane dataPlane, TrafficRouter router, ManagementAuth auth, JsonBodies json) {
        this.dataPlane = dataPlane;
        this.router = router;
        this.auth = auth;
        this.json = json;
    }

    @RequestBody(content = @Content(mediaType = "application/json", schema = @Schema(ref = "function_request")))
    @APIResponse(responseCode = "200", description = "The function's answer; Ember-Version names the version",
            content = @Content(mediaType = "application/json", schema = @Schema(ref = "function_response")))
    @APIResponse(responseCode = "4XX", ref = "refused")
    @APIResponse(responseCode = "5XX", ref = "overloaded")
    @POST
    @Blocking
    @Consumes(MediaType.APPLICATION_JSON)
    public CompletionStage<Response> invoke(@PathParam("function") String function,
            @HeaderParam(TAG_HEADER) String tag, byte[] body) {
        return invoke(function, VersionSelector.tagged(tag), body);
    }

    @RequestBody(content = @Content(mediaType = "application/json", schema = @Schema(ref = "function_request")))
    @APIResponse(responseCode = "200", description = "The function's answer; Ember-Version names the version",
            content = @Content(mediaType = "application/json", schema = @Schema(ref = "function_response")))
    @APIResponse(responseCode = "4XX", ref = "refused")
    @APIResponse(responseCode = "5XX", ref = "overloaded")
    @POST
    @Path("/versions/{version}")
    @Blocking
    @Consumes(MediaType.APPLICATION_JSON)
    public CompletionStage<Response> invokeVersion(@PathParam("function") String function,
            @PathParam("version") String version, byte[] body) {
        return invoke(function, VersionSelector.pinned(version(function, version)), body);
    }

    @APIResponse(responseCode = "200", description = "The split in force",
            content = @Content(mediaType = "application/json", schema = @Schema(ref = "traffic_block")))
    @APIResponse(responseCode = "404", ref = "not_found")
    @GET
    @Path("/traffic")
    public TrafficBlock traffic(@PathParam("function") String function) {
        return TrafficBlock.of(router.split(function));
    }

    @RequestBody(content = @Content(mediaType = "application/json", schema = @Schema(ref = "traffic_block")))
    @APIResponse(responseCode = "200", description = "The new split, in force",
            content = @Content(mediaType = "application/json", schema = @Schema(ref = "traffic_block")))
    @APIResponse(responseCode = "4XX", ref = "refused")
    @PUT
    @Path("/traffic")
    @Consumes(MediaType.APPLICATION_JSON)
    public TrafficBlock replaceTraffic(@PathParam("function") String function,
            @HeaderParam(HttpHeaders.AUTHORIZATION) String authorization, byte[] body) {
        auth.authorize(authorization);
        router.split(function); // an unknown function is 404 before its body is judged
        return TrafficBlock.of(router.replace(function, TrafficBlock.parse(json.read(body, JsonNode.class))));
    }

    private CompletionStage<Response> invoke(String function, VersionSelector selector, byte[] body) {
        return dataPlane.invoke(function, selector, body).thenApply(FunctionResource::ok);
    }

    static Response ok(Invocation<byte[]> inv) {
        return Response.ok(inv.response(), MediaType.APPLICATION_JSON)
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
