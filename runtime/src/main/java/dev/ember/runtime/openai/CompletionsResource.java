package dev.ember.runtime.openai;

import com.fasterxml.jackson.databind.JsonNode;
import dev.ember.runtime.api.InvalidInputException;
import dev.ember.runtime.api.NotFoundException;
import dev.ember.runtime.codec.JsonBodies;
import dev.ember.runtime.codec.openai.CompletionBodies;
import dev.ember.runtime.codec.openai.CompletionCall;
import dev.ember.runtime.codec.openai.CompletionRequests;
import dev.ember.runtime.generate.Generation;
import dev.ember.runtime.generate.GenerationResult;
import dev.ember.runtime.generate.TokenSink;
import dev.ember.runtime.invoke.DataPlane;
import dev.ember.runtime.repository.ModelCatalog;
import dev.ember.runtime.traffic.VersionSelector;
import io.smallrye.common.annotation.Blocking;
import io.vertx.core.Vertx;
import io.vertx.ext.web.RoutingContext;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.parameters.RequestBody;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;

import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

/**
 * OpenAI-compatible {@code POST /v1/completions} and {@code POST /v1/chat/completions} on generator functions
 * ({@code model} names one). With {@code stream: true} the answer is server-sent events, whose status and headers go
 * only once the generation is admitted: a refusal before that is an ordinary error response. A client that leaves
 * cancels its generation. No {@code @Produces}: OpenAI clients send {@code Accept: application/json} for a stream too.
 */
@Path("/v1")
public class CompletionsResource {

    private final DataPlane dataPlane;
    private final ModelCatalog catalog;
    private final JsonBodies json;

    CompletionsResource(DataPlane dataPlane, ModelCatalog catalog, JsonBodies json) {
        this.dataPlane = dataPlane;
        this.catalog = catalog;
        this.json = json;
    }

    @RequestBody(content = @Content(mediaType = "application/json", schema = @Schema(ref = "completion_request")))
    @APIResponse(responseCode = "200", description = "The completion; with stream: true, server-sent events of"
            + " text_completion chunks, then data: [DONE]", content = {
                @Content(mediaType = "application/json", schema = @Schema(ref = "completion_response")),
                @Content(mediaType = EventStream.MEDIA_TYPE, schema = @Schema(ref = "completion_stream"))})
    @APIResponse(responseCode = "4XX", ref = "openai_refused")
    @APIResponse(responseCode = "5XX", ref = "openai_overloaded")
    @POST
    @Path("/completions")
    @Blocking
    @Consumes(MediaType.APPLICATION_JSON)
    public CompletionStage<Response> completions(@HeaderParam(VersionHeaders.TAG) String tag,
            @Context RoutingContext rc, byte[] body) {
        return generate(CompletionRequests.completion(json.read(body, JsonNode.class)), tag, rc);
    }

    @RequestBody(content = @Content(mediaType = "application/json", schema = @Schema(ref = "chat_completion_request")))
    @APIResponse(responseCode = "200", description = "The chat completion; with stream: true, server-sent events of"
            + " chat.completion.chunk deltas, then data: [DONE]", content = {
                @Content(mediaType = "application/json", schema = @Schema(ref = "chat_completion_response")),
                @Content(mediaType = EventStream.MEDIA_TYPE, schema = @Schema(ref = "chat_completion_stream"))})
    @APIResponse(responseCode = "4XX", ref = "openai_refused")
    @APIResponse(responseCode = "5XX", ref = "openai_overloaded")
    @POST
    @Path("/chat/completions")
    @Blocking
    @Consumes(MediaType.APPLICATION_JSON)
    public CompletionStage<Response> chat(@HeaderParam(VersionHeaders.TAG) String tag, @Context RoutingContext rc,
            byte[] body) {
        return generate(CompletionRequests.chat(json.read(body, JsonNode.class)), tag, rc);
    }

    private CompletionStage<Response> generate(CompletionCall call, String tag, RoutingContext rc) {
        requireGenerator(call.model());
        CompletionBodies bodies = new CompletionBodies(call.chat(), call.model(), call.includeUsage());
        ClientWatch watch = new ClientWatch(rc);
        VersionSelector selector = VersionSelector.tagged(tag);
        if (!call.stream()) {
            return call.asSent(dataPlane.generate(call.model(), selector, call.request(), IGNORED)).thenCompose(g -> {
                watch.follow(g);
                return g.result().thenApply(r -> Response.ok(completion(bodies, r), MediaType.APPLICATION_JSON)
                        .header(VersionHeaders.VERSION, String.valueOf(g.id().version())).build());
            });
        }
        // the stream is the sink from the start; it queues until the response is handed to it
        EventStream stream = EventStream.of(bodies, call.chat(), Vertx.currentContext());
        return call.asSent(dataPlane.generate(call.model(), selector, call.request(), stream)).thenApply(g -> {
            watch.follow(g);
            return Response.ok(new EventStreamWriter.Admitted(stream, g), EventStream.MEDIA_TYPE)
                    .header("Cache-Control", "no-cache")
                    // proxies such as nginx would otherwise buffer the stream
                    .header("X-Accel-Buffering", "no")
                    .header(VersionHeaders.VERSION, String.valueOf(g.id().version())).build();
        });
    }

    private static byte[] completion(CompletionBodies bodies, GenerationResult r) {
        return bodies.completion(r.text(), r.finishReason().wire(), r.promptTokens(), r.completionTokens());
    }

    /** 404 for an unknown function, 400 naming {@code model} for one that does not generate. */
    private void requireGenerator(String model) {
        if (!catalog.contains(model)) {
            throw new NotFoundException("'model': function '" + model + "' does not exist");
        }
        if (!dataPlane.generates(model)) {
            throw new InvalidInputException("'model': function '" + model + "' is not a generator (a decoder model"
                    + " with past key values)");
        }
    }

    /** The text of a non-streaming generation is in its result; the deltas are not needed. */
    private static final TokenSink IGNORED = new TokenSink() {
        public void text(String delta) {
        }

        public void finished(GenerationResult result) {
        }

        public void failed(Throwable failure) {
        }
    };

    /**
     * Cancels the generation when the client leaves before its answer ends, also when it left while the generation
     * was waiting to be admitted.
     */
    static final class ClientWatch {
        private final AtomicReference<Generation> generation = new AtomicReference<>();
        private final AtomicBoolean gone = new AtomicBoolean();

        ClientWatch(RoutingContext rc) {
            if (rc != null) {
                rc.addEndHandler(ended -> {
                    if (ended.failed()) {
                        left();
                    }
                });
            }
        }

        void follow(Generation g) {
            generation.set(g);
            if (gone.get()) {
                g.cancel();
            }
        }

        void left() {
            gone.set(true);
            Generation g = generation.get();
            if (g != null) {
                g.cancel();
            }
        }
    }
}
