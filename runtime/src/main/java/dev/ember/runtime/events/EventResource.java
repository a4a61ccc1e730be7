package dev.ember.runtime.events;

import com.fasterxml.jackson.databind.JsonNode;
import dev.ember.runtime.codec.JsonBodies;
import dev.ember.runtime.codec.RequestLimits;
import dev.ember.runtime.codec.openai.CompletionBodies;
import dev.ember.runtime.codec.openai.CompletionCall;
import dev.ember.runtime.codec.openai.CompletionRequests;
import dev.ember.runtime.generate.GenerationResult;
import dev.ember.runtime.generate.TokenSink;
import dev.ember.runtime.config.EmberConfig;
import dev.ember.runtime.invoke.DataPlane;
import dev.ember.runtime.invoke.Failure;
import dev.ember.runtime.invoke.Invocation;
import dev.ember.runtime.repository.ModelCatalog;
import io.cloudevents.CloudEvent;
import io.cloudevents.core.builder.CloudEventBuilder;
import io.smallrye.common.annotation.Blocking;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;
import jakarta.ws.rs.OPTIONS;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import org.eclipse.microprofile.openapi.annotations.enums.ParameterIn;
import org.eclipse.microprofile.openapi.annotations.enums.SchemaType;
import org.eclipse.microprofile.openapi.annotations.headers.Header;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.parameters.Parameter;
import org.eclipse.microprofile.openapi.annotations.parameters.RequestBody;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.jboss.logging.Logger;

import java.net.URI;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * {@code POST /}: the Knative Eventing sink. One CloudEvent in (binary or structured mode), its data given to the
 * routed function through the same call path as {@code POST /functions/{f}} (so the traffic split applies), and
 * one reply event out in the request's mode, or 202 for a route without replies. Refusals carry the data-plane
 * acknowledgement code of their {@link RejectReason}, so a broker retries only what can succeed later.
 */
@Path("/")
public class EventResource {

    /** Reply extension attribute: the {@code id} of the event this reply answers. */
    public static final String IN_REPLY_TO = "emberinreplyto";
    /** Reply extension attribute: the function version that served the event. */
    public static final String VERSION = "emberversion";

    private static final Logger LOG = Logger.getLogger(EventResource.class);

    private final EventCodec codec;
    private final EventRoutes routes;
    private final DataPlane dataPlane;
    private final ModelCatalog catalog;
    private final EventMetrics metrics;
    private final JsonBodies json;

    EventResource(EventRoutes routes, DataPlane dataPlane, ModelCatalog catalog, EventMetrics metrics,
            EmberConfig config, JsonBodies json) {
        this.json = json;
        this.codec = new EventCodec(RequestLimits.of(config.limits()));
        this.routes = routes;
        this.dataPlane = dataPlane;
        this.catalog = catalog;
        this.metrics = metrics;
    }

    @RequestBody(description = "Binary mode: the data as the body, the attributes as ce-* headers (values"
            + " percent-encoded or raw UTF-8); structured mode: the whole event", content = {
                @Content(mediaType = "application/json", schema = @Schema(ref = "event_data")),
                @Content(mediaType = "application/cloudevents+json", schema = @Schema(ref = "cloudevent"))})
    @Parameter(in = ParameterIn.HEADER, name = "ce-specversion", required = false,
            description = "Binary mode: 1.0", schema = @Schema(type = SchemaType.STRING))
    @Parameter(in = ParameterIn.HEADER, name = "ce-id", required = false,
            description = "Binary mode: the event's id", schema = @Schema(type = SchemaType.STRING))
    @Parameter(in = ParameterIn.HEADER, name = "ce-source", required = false,
            description = "Binary mode: the event's source", schema = @Schema(type = SchemaType.STRING))
    @Parameter(in = ParameterIn.HEADER, name = "ce-type", required = false,
            description = "Binary mode: the type, which routes it", schema = @Schema(type = SchemaType.STRING))
    @APIResponse(responseCode = "200", description = "The reply event, in the mode of the request", content = {
                @Content(mediaType = "application/json", schema = @Schema(ref = "event_reply_data")),
                @Content(mediaType = "application/cloudevents+json", schema = @Schema(ref = "cloudevent"))})
    @APIResponse(responseCode = "202", description = "Taken by a route without replies; no body")
    @APIResponse(responseCode = "400", ref = "bad_request")
    @APIResponse(responseCode = "413", ref = "too_large")
    @APIResponse(responseCode = "415", description = "The batched mode, or a structured format other than JSON",
            content = @Content(mediaType = "application/json", schema = @Schema(ref = "error_response")))
    @APIResponse(responseCode = "422", description = "No function handles the type, or its route names a missing one",
            content = @Content(mediaType = "application/json", schema = @Schema(ref = "error_response")))
    @APIResponse(responseCode = "503", ref = "unavailable")
    @APIResponse(responseCode = "504", ref = "timeout")
    @POST
    @Blocking
    public CompletionStage<Response> receive(@Context HttpServerRequest request, byte[] body) {
        long start = System.nanoTime();
        EventCodec.IncomingEvent incoming;
        try {
            incoming = codec.decode(request.getHeader(HttpHeaders.CONTENT_TYPE), request.headers(), body);
        } catch (RejectedEventException e) {
            LOG.debugf("refused a request that is not a readable event: %s", e.getMessage());
            metrics.record(EventMetrics.UNKNOWN_TYPE, false, e.reason.tag, System.nanoTime() - start);
            return CompletableFuture.completedFuture(error(e.reason.status, e.getMessage(), null));
        }
        CloudEvent event = incoming.event();
        EventRoutes.Route route = routes.route(event.getType());
        LOG.debugf("event id=%s source=%s type=%s (%s mode) -> function %s", event.getId(), event.getSource(),
                event.getType(), incoming.mode(), route.function());

        if (!catalog.contains(route.function())) {
            String message = route.configured()
                    ? "event type '" + route.type() + "' is routed to function '" + route.function()
                            + "', which does not exist"
                    : "no function handles event type '" + route.type() + "': route it with ember.events.routes.\""
                            + route.type() + "\".function, or deploy a function of that name";
            return CompletableFuture.completedFuture(rejected(event, route, Failure.NOT_FOUND.eventReason,
                    error(Failure.NOT_FOUND.eventStatus, message, null), start));
        }
        CompletableFuture<Invocation<byte[]>> call;
        try {
            byte[] data = EventCodec.requestBody(event, route.function());
            call = dataPlane.generates(route.function()) ? complete(route, data)
                    : dataPlane.invoke(route.function(), route.selector(), data);
        } catch (RuntimeException e) {
            call = CompletableFuture.failedFuture(e);
        }
        return call.handle((invocation, failure) -> {
            if (failure == null) {
                try {
                    return answer(incoming, route, invocation, start);
                } catch (RuntimeException e) {
                    failure = e;
                }
            }
            return failed(event, route, failure, start);
        });
    }

    /**
     * An event for a generator: its data is an OpenAI completions or chat completions request, its reply the
     * completion, as {@code /v1/completions} or {@code /v1/chat/completions} answer without streaming.
     */
    private CompletableFuture<Invocation<byte[]>> complete(EventRoutes.Route route, byte[] data) {
        CompletionCall call = CompletionRequests.event(json.read(data, JsonNode.class), route.function());
        CompletionBodies bodies = new CompletionBodies(call.chat(), route.function(), false);
        return call.asSent(dataPlane.generate(route.function(), route.selector(), call.request(), WHOLE))
                .thenCompose(g -> g.result().thenApply(r -> new Invocation<>(g.id(), bodies.completion(r.text(),
                        r.finishReason().wire(), r.promptTokens(), r.completionTokens()))));
    }

    /** A reply event carries the whole completion, from the generation's result: the deltas are not needed. */
    private static final TokenSink WHOLE = new TokenSink() {
        public void text(String delta) {
        }

        public void finished(GenerationResult result) {
        }

        public void failed(Throwable failure) {
        }
    };

    /** The data-plane probe: a sender may ask which verbs the sink takes. */
    @APIResponse(responseCode = "200", description = "The verbs the sink takes, in Allow; no body",
            headers = @Header(name = "Allow", schema = @Schema(type = SchemaType.STRING)))
    @OPTIONS
    public Response options() {
        return Response.ok().header("Allow", "POST, OPTIONS").build();
    }

    private Response answer(EventCodec.IncomingEvent incoming, EventRoutes.Route route,
            Invocation<byte[]> invocation, long start) {
        CloudEvent event = incoming.event();
        int version = invocation.served().version();
        Response response;
        if (route.reply()) {
            CloudEventBuilder reply = CloudEventBuilder.v1()
                    .withId(UUID.randomUUID().toString())
                    .withSource(URI.create("/functions/" + invocation.served().model() + "/versions/" + version))
                    .withType(route.replyType())
                    .withTime(OffsetDateTime.now(ZoneOffset.UTC))
                    .withExtension(IN_REPLY_TO, event.getId())
                    .withExtension(VERSION, String.valueOf(version))
                    .withData(MediaType.APPLICATION_JSON, invocation.response());
            if (event.getSubject() != null) {
                reply.withSubject(event.getSubject());
            }
            response = codec.encode(reply.build(), incoming.mode());
        } else {
            response = Response.accepted().build();
        }
        LOG.debugf("event id=%s source=%s answered %d by %s version %d", event.getId(), event.getSource(),
                response.getStatus(), route.function(), version);
        metrics.record(event.getType(), route.reply(), null, System.nanoTime() - start);
        return response;
    }

    private Response failed(CloudEvent event, EventRoutes.Route route, Throwable failure, long start) {
        Throwable t = Failure.unwrap(failure);
        if (t instanceof RejectedEventException r) {
            return rejected(event, route, r.reason.tag, error(r.reason.status, r.getMessage(), null), start);
        }
        Failure kind = Failure.of(t);
        String message = kind == Failure.NOT_FOUND
                ? "event type '" + route.type() + "' cannot be handled: " + t.getMessage() : t.getMessage();
        if (kind == Failure.INTERNAL) {
            LOG.errorf(t, "event id=%s failed", event.getId());
            message = "internal error";
        }
        return rejected(event, route, kind.eventReason, error(kind.eventStatus, message,
                Failure.retryAfter(t).map(Duration::toSeconds).orElse(null)), start);
    }

    private static Response error(int status, String message, Long retryAfterSeconds) {
        Response.ResponseBuilder r = Response.status(status).type(MediaType.APPLICATION_JSON)
                .entity(Map.of("error", message));
        if (retryAfterSeconds != null) {
            r.header("Retry-After", retryAfterSeconds);
        }
        return r.build();
    }

    private Response rejected(CloudEvent event, EventRoutes.Route route, String reason, Response response,
            long start) {
        LOG.debugf("event id=%s source=%s type=%s refused %d (%s)", event.getId(), event.getSource(),
                event.getType(), response.getStatus(), reason);
        boolean known = route.configured() || !reason.equals(Failure.NOT_FOUND.eventReason);
        metrics.record(known ? event.getType() : EventMetrics.UNROUTED_TYPE, false, reason,
                System.nanoTime() - start);
        return response;
    }
}
