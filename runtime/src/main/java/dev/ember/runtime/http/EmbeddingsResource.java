package dev.ember.runtime.http;

import dev.ember.runtime.api.EmbeddingRequest;
import dev.ember.runtime.api.InferenceFunction;
import dev.ember.runtime.api.InvalidInputException;
import dev.ember.runtime.api.NotFoundException;
import dev.ember.runtime.repository.ModelCatalog;
import dev.ember.runtime.traffic.FunctionRegistry;
import dev.ember.runtime.traffic.VersionSelector;
import io.smallrye.common.annotation.Blocking;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

import java.util.concurrent.CompletionStage;

/** OpenAI-compatible {@code POST /v1/embeddings}: {@code model} names an embedding function. */
@Path("/v1/embeddings")
public class EmbeddingsResource {

    private final FunctionRegistry functions;
    private final FunctionCalls calls;
    private final JsonBodies json;
    private final ModelCatalog catalog;

    EmbeddingsResource(FunctionRegistry functions, FunctionCalls calls, JsonBodies json, ModelCatalog catalog) {
        this.catalog = catalog;
        this.functions = functions;
        this.calls = calls;
        this.json = json;
    }

    @POST
    @Blocking
    @Consumes(MediaType.APPLICATION_JSON)
    @Produces(MediaType.APPLICATION_JSON)
    public CompletionStage<Response> embed(@HeaderParam(FunctionResource.TAG_HEADER) String tag, byte[] body) {
        EmbeddingRequest request = json.read(body, EmbeddingRequest.class);
        if (request.model() == null || request.model().isBlank()) {
            throw new InvalidInputException("'model' is required: the name of an embedding function");
        }
        InferenceFunction<?, ?> function = functions.find(request.model()).orElse(null);
        if (function == null && !catalog.contains(request.model())) {
            throw new NotFoundException("'model': there is no function '" + request.model() + "'");
        }
        if (function == null || function.requestType() != EmbeddingRequest.class) {
            throw new InvalidInputException("'model': function '" + request.model() + "' is not an embedding function");
        }
        return calls.invoke(function.name(), VersionSelector.tagged(tag), body)
                .thenApply(inv -> FunctionResource.ok(inv, inv.response()));
    }
}
