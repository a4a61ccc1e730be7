package dev.ember.runtime.protocol;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ember.runtime.api.InvalidInputException;
import dev.ember.runtime.api.ModelId;
import dev.ember.runtime.api.NotFoundException;
import dev.ember.runtime.management.ManagementAuth;
import dev.ember.runtime.pool.ModelState;
import dev.ember.runtime.pool.WarmPool;
import dev.ember.runtime.repository.ModelCatalog;
import dev.ember.runtime.repository.ModelNames;
import io.smallrye.common.annotation.Blocking;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.MediaType;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.parameters.RequestBody;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * The model repository extension: every version and its lifecycle state, and explicit load and unload. The two
 * writes take {@code Authorization: Bearer <ember.management.token>} and are off while no token is set. Their
 * optional body {@code {"version": "2"}} names one version; without it they act on every version of the model.
 */
@Path("/v2/repository")
@Produces(MediaType.APPLICATION_JSON)
public class RepositoryResource {

    private final ModelCatalog catalog;
    private final WarmPool pool;
    private final ManagementAuth auth;
    private final ObjectMapper mapper;

    RepositoryResource(ModelCatalog catalog, WarmPool pool, ManagementAuth auth, ObjectMapper mapper) {
        this.catalog = catalog;
        this.pool = pool;
        this.auth = auth;
        this.mapper = mapper;
    }

    @APIResponse(responseCode = "200", description = "Every version and its state",
            content = @Content(mediaType = "application/json", schema = @Schema(ref = "repository_index")))
    @GET
    @Path("/index")
    public List<Map<String, Object>> index() {
        return entries(all(false));
    }

    /**
     * Triton's verb for the index. Its optional body {@code {"ready": true}} keeps only the versions that can serve
     * now, as {@code GET /v2/models/{m}/versions/{v}/ready} says: a cold version can (it loads on demand).
     */
    @RequestBody(content = @Content(mediaType = "application/json", schema = @Schema(ref = "repository_index_request")),
            required = false)
    @APIResponse(responseCode = "200", description = "Every version and its state",
            content = @Content(mediaType = "application/json", schema = @Schema(ref = "repository_index")))
    @APIResponse(responseCode = "400", ref = "bad_request")
    @POST
    @Path("/index")
    public List<Map<String, Object>> postIndex(byte[] body) {
        JsonNode ready = field(body, "ready", "{\"ready\": true}");
        if (ready != null && !ready.isBoolean()) {
            throw new InvalidInputException("'ready': must be true or false, not " + ready.getNodeType()
                    .name().toLowerCase(Locale.ROOT));
        }
        return entries(all(ready != null && ready.booleanValue()));
    }

    private List<ModelId> all(boolean servableOnly) {
        List<ModelId> ids = new ArrayList<>();
        for (String model : catalog.models()) {
            catalog.versions(model).keySet().stream().map(v -> new ModelId(model, v))
                    .filter(id -> !servableOnly || pool.state(id).canServe()).forEach(ids::add);
        }
        return ids;
    }

    /** Loads (a version of) a model, after a rescan of the directory repository so new models can be loaded. */
    @RequestBody(required = false,
            content = @Content(mediaType = "application/json", schema = @Schema(ref = "repository_version_request")))
    @APIResponse(responseCode = "200", description = "The versions acted on, with their states",
            content = @Content(mediaType = "application/json", schema = @Schema(ref = "repository_index")))
    @APIResponse(responseCode = "4XX", ref = "refused")
    @APIResponse(responseCode = "503", ref = "unavailable")
    @POST
    @Path("/models/{model}/load")
    @Blocking
    public CompletionStage<List<Map<String, Object>>> load(@PathParam("model") String model,
            @HeaderParam(HttpHeaders.AUTHORIZATION) String authorization, byte[] body) {
        auth.authorize(authorization);
        catalog.rescan();
        List<ModelId> ids = versions(model, body);
        return CompletableFuture.allOf(ids.stream().map(pool::load).toArray(CompletableFuture[]::new))
                .thenApply(v -> entries(ids));
    }

    /** Unloads (a version of) a model once its requests in flight finish; pinned versions are refused (400). */
    @RequestBody(required = false,
            content = @Content(mediaType = "application/json", schema = @Schema(ref = "repository_version_request")))
    @APIResponse(responseCode = "200", description = "The versions acted on, with their states",
            content = @Content(mediaType = "application/json", schema = @Schema(ref = "repository_index")))
    @APIResponse(responseCode = "4XX", ref = "refused")
    @POST
    @Path("/models/{model}/unload")
    @Blocking
    public CompletionStage<List<Map<String, Object>>> unload(@PathParam("model") String model,
            @HeaderParam(HttpHeaders.AUTHORIZATION) String authorization, byte[] body) {
        auth.authorize(authorization);
        List<ModelId> ids = versions(model, body);
        return pool.unload(ids).thenApply(v -> entries(ids));
    }

    private List<Map<String, Object>> entries(List<ModelId> ids) {
        List<Map<String, Object>> entries = new ArrayList<>(ids.size());
        for (ModelId id : ids) {
            ModelState state = pool.state(id);
            Map<String, Object> entry = new LinkedHashMap<>();
            entry.put("name", id.model());
            entry.put("version", String.valueOf(id.version()));
            entry.put("state", state.name().toLowerCase(Locale.ROOT));
            if (state == ModelState.FAILED) {
                pool.error(id).ifPresent(reason -> entry.put("reason", reason));
            }
            entries.add(entry);
        }
        return entries;
    }

    /** The version the body names, or every version of the model. */
    private List<ModelId> versions(String model, byte[] body) {
        if (!catalog.contains(model)) {
            throw new NotFoundException("unknown model '" + model + "'");
        }
        JsonNode version = field(body, "version", "{\"version\": \"2\"}");
        if (version == null) {
            return catalog.versions(model).keySet().stream().map(v -> new ModelId(model, v)).toList();
        }
        int v = ModelNames.parseVersion(version.asText());
        if (!version.isTextual() && !version.isIntegralNumber() || v < 0) {
            throw new InvalidInputException("'version': must be a positive integer such as \"2\", not " + version);
        }
        if (!catalog.versions(model).containsKey(v)) {
            throw new NotFoundException("model '" + model + "' has no version '" + v + "'; versions: "
                    + List.copyOf(catalog.versions(model).keySet()));
        }
        return List.of(new ModelId(model, v));
    }

    /** The field {@code name} of an optional JSON object body; null when the body or the field is absent. */
    private JsonNode field(byte[] body, String name, String example) {
        if (body == null || new String(body, StandardCharsets.UTF_8).isBlank()) {
            return null;
        }
        JsonNode tree;
        try {
            tree = mapper.readTree(body);
        } catch (JsonProcessingException e) {
            throw new InvalidInputException("malformed JSON: " + e.getOriginalMessage());
        } catch (IOException e) {
            throw new InvalidInputException("unreadable request body: " + e.getMessage());
        }
        if (!tree.isObject()) {
            throw new InvalidInputException("the body must be a JSON object such as " + example);
        }
        JsonNode value = tree.get(name);
        return value == null || value.isNull() ? null : value;
    }
}
