package dev.ember.runtime.http;

import dev.ember.runtime.invoke.Failure;
import dev.ember.runtime.lifecycle.ShutdownDrain;
import io.quarkus.vertx.web.RouteFilter;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.ext.web.RoutingContext;
import jakarta.inject.Inject;

/**
 * Refuses new work once the drain's grace delay is over (503 with Retry-After, connection closed), so that the
 * requests in flight and in queues can finish before the shutdown timeout; reads (probes, metadata, metrics) are
 * still answered.
 */
public class DrainFilter {

    @Inject
    ShutdownDrain drain;

    @RouteFilter(200)
    void refuseWhileDraining(RoutingContext rc) {
        // a response sent once draining closes its connection, so no client keeps one that the shutdown will cut
        rc.addHeadersEndHandler(v -> {
            if (drain.draining()) {
                rc.response().headers().set(HttpHeaders.CONNECTION, "close");
            }
        });
        HttpMethod method = rc.request().method();
        if ((method == HttpMethod.POST || method == HttpMethod.PUT || method == HttpMethod.DELETE)
                && drain.refusesNewWork()) {
            rc.response().putHeader("Retry-After", "1");
            RouteErrors.end(rc, Failure.UNAVAILABLE, "the process is shutting down: send the request to another"
                    + " instance");
            return;
        }
        rc.next();
    }
}
