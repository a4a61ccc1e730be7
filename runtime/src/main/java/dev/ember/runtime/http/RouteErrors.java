package dev.ember.runtime.http;

import dev.ember.runtime.codec.ErrorBodies;
import dev.ember.runtime.invoke.Failure;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;

/**
 * Answers from a route filter, before JAX-RS: the failure table's status and the same JSON body as ErrorMapper (OpenAI's
 * shape on {@code /v1/*}).
 */
final class RouteErrors {

    private RouteErrors() {
    }

    /** Ends the exchange; the connection closes, since the unread body of a refused request cannot be skipped safely. */
    static void end(RoutingContext rc, Failure kind, String message) {
        end(rc, kind.status, message);
    }

    /** The same, for a refusal of the transport that has no row in the failure table (415, 408, ...). */
    static void end(RoutingContext rc, int status, String message) {
        rc.response().setStatusCode(status).putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
                .putHeader(HttpHeaders.CONNECTION, "close")
                .end(new JsonObject(ErrorBodies.of(rc.request().path(), status, message)).encode());
    }
}
