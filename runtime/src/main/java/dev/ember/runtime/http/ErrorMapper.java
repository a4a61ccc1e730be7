package dev.ember.runtime.http;

import com.fasterxml.jackson.core.JsonProcessingException;
import dev.ember.runtime.api.InferenceFailedException;
import dev.ember.runtime.api.UnauthorizedException;
import dev.ember.runtime.codec.ErrorBodies;
import dev.ember.runtime.codec.JsonErrors;
import dev.ember.runtime.invoke.Failure;
import io.vertx.core.http.HttpServerRequest;
import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import org.jboss.logging.Logger;
import org.jboss.resteasy.reactive.server.ServerExceptionMapper;

import java.util.Locale;
import java.util.concurrent.CompletionException;

/**
 * The failure table ({@link Failure}) as HTTP, for every JAX-RS endpoint: its status, its {@code Retry-After},
 * and the body {@code {"error": "..."}}, or OpenAI's error shape on {@code /v1/*} ({@link ErrorBodies}); the
 * framework's own refusals (404, 405, 406, 415) get the same shapes.
 */
public class ErrorMapper {

    private static final Logger LOG = Logger.getLogger(ErrorMapper.class);

    @ServerExceptionMapper
    public Response completion(CompletionException e, HttpServerRequest request) {
        return toResponse(e, path(request));
    }

    @ServerExceptionMapper
    public Response json(JsonProcessingException e, HttpServerRequest request) {
        return toResponse(e, path(request));
    }

    @ServerExceptionMapper
    public Response web(WebApplicationException e, HttpServerRequest request) {
        return framework(e, path(request));
    }

    private static String path(HttpServerRequest request) {
        return request == null ? null : request.path();
    }

    private static Response framework(WebApplicationException e, String path) {
        int status = e.getResponse().getStatus();
        String message = switch (status) {
            case 404 -> "no such resource";
            case 405 -> "method not allowed";
            case 406 -> "only application/json responses are produced";
            case 415 -> "unsupported media type: send application/json";
            case 413 -> "the request body is too large";
            default -> status >= 500 ? "internal error" : "the request was refused (HTTP " + status + ")";
        };
        return error(path, status, message);
    }

    @ServerExceptionMapper
    public Response unexpected(Exception e, HttpServerRequest request) {
        return toResponse(e, path(request));
    }

    static Response toResponse(Throwable failure) {
        return toResponse(failure, null);
    }

    /** The response to {@code failure} of a request to {@code path} (null: not known, Ember's own shape). */
    static Response toResponse(Throwable failure, String path) {
        Throwable t = Failure.unwrap(failure);
        if (t instanceof WebApplicationException w) {
            return framework(w, path);
        }
        Failure kind = Failure.of(t);
        String requestId = RequestIdFilter.current();
        // if, not a switch on the enum: a switch compiles to a synthetic class that Quarkus's class loaders cannot share
        String message = t.getMessage() != null ? t.getMessage() : kind.name().toLowerCase(Locale.ROOT);
        if (kind == Failure.MALFORMED_JSON) {
            message = JsonErrors.malformed((JsonProcessingException) t).getMessage();
        } else if (kind == Failure.INTERNAL) {
            // the body says nothing about the fault (class names, paths, library text) beyond which model failed,
            // which InferenceFailedException's own message says safely; the log has it all
            LOG.errorf(t, "request %s: internal error", requestId);
            message = (t instanceof InferenceFailedException ? t.getMessage() + ": internal error"
                    : "internal error") + " (request id " + requestId + ")";
        } else {
            // the kind and the status only: a client's values never reach the log
            LOG.debugf("request %s refused: %s (%d)", requestId, kind, kind.status);
        }
        Response.ResponseBuilder response = Response.status(kind.status).type(MediaType.APPLICATION_JSON)
                .entity(ErrorBodies.of(path, kind.status, message));
        Failure.retryAfter(t).ifPresent(d -> response.header("Retry-After", d.toSeconds()));
        if (t instanceof UnauthorizedException u) {
            response.header("WWW-Authenticate", u.tokenPresented()
                    ? "Bearer realm=\"ember\", error=\"invalid_token\"" : "Bearer realm=\"ember\"");
        }
        return response.build();
    }

    static Response error(String path, int status, String message) {
        return Response.status(status).type(MediaType.APPLICATION_JSON).entity(ErrorBodies.of(path, status, message))
                .build();
    }
}
