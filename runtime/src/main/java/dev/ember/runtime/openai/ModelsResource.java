package dev.ember.runtime.openai;

import dev.ember.runtime.api.NotFoundException;
import dev.ember.runtime.repository.ModelCatalog;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;

import java.lang.management.ManagementFactory;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * OpenAI-compatible {@code GET /v1/models} and {@code GET /v1/models/{id}}: every function (embedding functions,
 * generators, plain models) as OpenAI's model object. {@code created} is when this process started serving them.
 */
@Path("/v1/models")
@Produces(MediaType.APPLICATION_JSON)
public class ModelsResource {

    private final ModelCatalog catalog;
    private final long created = ManagementFactory.getRuntimeMXBean().getStartTime() / 1000;

    ModelsResource(ModelCatalog catalog) {
        this.catalog = catalog;
    }

    @APIResponse(responseCode = "200", description = "Every function",
            content = @Content(mediaType = "application/json", schema = @Schema(ref = "model_list")))
    @APIResponse(responseCode = "5XX", ref = "openai_overloaded")
    @GET
    public Map<String, Object> list() {
        List<Map<String, Object>> data = catalog.models().stream().map(this::model).toList();
        Map<String, Object> list = new LinkedHashMap<>();
        list.put("object", "list");
        list.put("data", data);
        return list;
    }

    @APIResponse(responseCode = "200", description = "The function",
            content = @Content(mediaType = "application/json", schema = @Schema(ref = "model_object")))
    @APIResponse(responseCode = "404", ref = "openai_not_found")
    @GET
    @Path("/{id}")
    public Map<String, Object> get(@PathParam("id") String id) {
        if (!catalog.contains(id)) {
            throw new NotFoundException("'model': function '" + id + "' does not exist");
        }
        return model(id);
    }

    private Map<String, Object> model(String id) {
        Map<String, Object> model = new LinkedHashMap<>();
        model.put("id", id);
        model.put("object", "model");
        model.put("created", created);
        model.put("owned_by", "ember");
        return model;
    }
}
