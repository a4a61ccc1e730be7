package dev.ember.runtime.openai;

import dev.ember.runtime.api.EmbeddingRequest;
import dev.ember.runtime.api.InvalidInputException;
import dev.ember.runtime.codec.JsonBodies;
import dev.ember.runtime.invoke.DataPlane;
import dev.ember.runtime.traffic.VersionSelector;
import io.smallrye.common.annotation.Blocking;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.parameters.RequestBody;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;

import java.util.concurrent.CompletionStage;

/**
 * OpenAI-compatible {@code POST /v1/embeddings}: {@code model} names an embedding function; errors in OpenAI's shape
 * (the error mapper answers every {@code /v1/*} path so).
 */
@Path("/v1/embeddings")
public class EmbeddingsResource {

    private final DataPlane dataPlane;
    private final JsonBodies json;

    EmbeddingsResource(DataPlane dataPlane, JsonBodies json) {
        this.dataPlane = dataPlane;
        this.json = json;
    }

    @RequestBody(content = @Content(mediaType = "application/json", schema = @Schema(ref = "openai_embedding_request")))
    @APIResponse(responseCode = "200", description = "OK",
            content = @Content(mediaType = "application/json", schema = @Schema(ref = "embedding_response")))
    @APIResponse(responseCode = "4XX", ref = "openai_refused")
    @APIResponse(responseCode = "5XX", ref = "openai_overloaded")
    @POST
    @Blocking
    @Consumes(MediaType.APPLICATION_JSON)
    @Produces(MediaType.APPLICATION_JSON)
    public CompletionStage<Response> embed(@HeaderParam(VersionHeaders.TAG) String tag, byte[] body) {
        EmbeddingRequest request = json.read(body, EmbeddingRequest.class);
        if (request.model() == null || request.model().isBlank()) {
            throw new InvalidInputException("'model' is required: the name of an embedding function");
        }
        return dataPlane.invoke(request.model(), VersionSelector.tagged(tag), EmbeddingRequest.class, request,
                "model", "an embedding function").thenApply(VersionHeaders::ok);
    }
}
