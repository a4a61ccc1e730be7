package dev.ember.diy;

import dev.langchain4j.model.embedding.EmbeddingModel;
import dev.langchain4j.model.embedding.onnx.allminilml6v2.AllMiniLmL6V2EmbeddingModel;
import io.smallrye.common.annotation.Blocking;
import jakarta.ws.rs.BadRequestException;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;

import java.util.List;

/**
 * The do-it-yourself endpoint Ember is measured against: what a user writes in a few lines instead of running
 * Ember. LangChain4j's in-process all-MiniLM-L6-v2 (the same fp32 model and ONNX Runtime as Ember's {@code embed}),
 * one {@code embed} per request on a worker thread. The body is Ember's {@code /functions/embed} body, and the
 * answer has the same {@code data[0].embedding}, so the same client drives both.
 */
@Path("/embed")
public class EmbedResource {

    public record EmbedRequest(String input) {
    }

    public record Item(float[] embedding) {
    }

    public record EmbedResponse(List<Item> data) {
    }

    // created on the first request, as a field of the (singleton) resource would be
    private final EmbeddingModel model = new AllMiniLmL6V2EmbeddingModel();

    @POST
    @Blocking
    @Consumes(MediaType.APPLICATION_JSON)
    @Produces(MediaType.APPLICATION_JSON)
    public EmbedResponse embed(EmbedRequest request) {
        if (request == null || request.input() == null) {
            throw new BadRequestException("'input' is required");
        }
        return new EmbedResponse(List.of(new Item(model.embed(request.input()).content().vector())));
    }
}
