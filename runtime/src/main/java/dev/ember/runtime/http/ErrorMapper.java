package dev.ember.runtime.http;

import com.fasterxml.jackson.core.JsonProcessingException;
import dev.ember.runtime.api.EmberException;
import dev.ember.runtime.api.ForbiddenException;
import dev.ember.runtime.api.InvalidInputException;
import dev.ember.runtime.api.InvocationTimeoutException;
import dev.ember.runtime.api.NotFoundException;
import dev.ember.runtime.api.PayloadTooLargeException;
import dev.ember.runtime.api.UnauthorizedException;
import dev.ember.runtime.api.UnavailableException;
import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import org.jboss.logging.Logger;
import org.jboss.resteasy.reactive.server.ServerExceptionMapper;

import java.util.Map;
import java.util.concurrent.CompletionException;

/** The one place where failures become statuses; every error body is {@code {"error": "..."}}. */
public class ErrorMapper {

    private static final Logger LOG = Logger.getLogger(ErrorMapper.class);

    @ServerExceptionMapper
    public Response ember(EmberException e) {
        return toResponse(e);
    }

    @ServerExceptionMapper
    public Response completion(CompletionException e) {
        return e.getCause() != null ? toResponse(e.getCause()) : toResponse(e);
    }

    @ServerExceptionMapper
    public Response json(JsonProcessingException e) {
        return error(Response.Status.BAD_REQUEST.getStatusCode(), "malformed JSON: " + e.getOriginalMessage());
    }

    @ServerExceptionMapper
    public Response web(WebApplicationException e) {
        return toResponse(e);
    }

    @ServerExceptionMapper
    public Response unexpected(Exception e) {
        return toResponse(e);
    }

    public static Response toResponse(Throwable t) {
        if (t instanceof CompletionException && t.getCause() != null) {
            t = t.getCause();
        }
        if (t instanceof InvalidInputException) {
            return error(400, t.getMessage());
        }
        if (t instanceof NotFoundException) {
            return error(404, t.getMessage());
        }
        if (t instanceof UnauthorizedException u) {
            return Response.status(401).type(MediaType.APPLICATION_JSON)
                    .header("WWW-Authenticate", u.tokenPresented() ? "Bearer realm=\"ember\", error=\"invalid_token\""
                            : "Bearer realm=\"ember\"")
                    .entity(Map.of("error", t.getMessage())).build();
        }
        if (t instanceof ForbiddenException) {
            return error(403, t.getMessage());
        }
        if (t instanceof PayloadTooLargeException) {
            return error(413, t.getMessage());
        }
        if (t instanceof UnavailableException u) {
            return Response.status(503).type(MediaType.APPLICATION_JSON)
                    .header("Retry-After", Math.max(1, u.retryAfter().toSeconds()))
                    .entity(Map.of("error", t.getMessage())).build();
        }
        if (t instanceof InvocationTimeoutException) {
            return error(504, t.getMessage());
        }
        if (t instanceof JsonProcessingException j) {
            return error(400, "malformed JSON: " + j.getOriginalMessage());
        }
        if (t instanceof WebApplicationException w) {
            int status = w.getResponse().getStatus();
            String message = switch (status) {
                case 404 -> "no such resource";
                case 405 -> "method not allowed";
                case 406 -> "only application/json responses are produced";
                case 415 -> "unsupported media type: send application/json";
                default -> w.getMessage();
            };
            return error(status, message);
        }
        LOG.error("internal failure", t);
        return error(500, "internal error: " + t.getClass().getSimpleName()
                + (t.getMessage() != null ? ": " + t.getMessage() : ""));
    }

    public static Response error(int status, String message) {
        return Response.status(status).type(MediaType.APPLICATION_JSON).entity(Map.of("error", message)).build();
    }
}
