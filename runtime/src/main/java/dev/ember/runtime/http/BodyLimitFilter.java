package dev.ember.runtime.http;

import dev.ember.runtime.invoke.Failure;
import io.quarkus.runtime.configuration.MemorySize;
import io.quarkus.vertx.web.RouteFilter;
import io.vertx.core.http.HttpHeaders;
import io.vertx.ext.web.RoutingContext;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/**
 * Refuses a body whose declared length exceeds {@code quarkus.http.limits.max-body-size} before it is read, with the
 * JSON error every endpoint uses (the HTTP server's own check answers 413 with no body).
 */
public class BodyLimitFilter {

    @ConfigProperty(name = "quarkus.http.limits.max-body-size", defaultValue = "10240K")
    MemorySize maxBodySize;

    @RouteFilter(100)
    void limit(RoutingContext rc) {
        String length = rc.request().getHeader(HttpHeaders.CONTENT_LENGTH);
        if (length != null) {
            try {
                if (Long.parseLong(length.trim()) > maxBodySize.asLongValue()) {
                    RouteErrors.end(rc, Failure.TOO_LARGE, "request body of " + length.trim() + " bytes is larger"
                            + " than the limit of " + maxBodySize.asLongValue()
                            + " bytes (quarkus.http.limits.max-body-size)");
                    return;
                }
            } catch (NumberFormatException e) {
                RouteErrors.end(rc, Failure.BAD_INPUT, "Content-Length is not a number");
                return;
            }
        }
        rc.next();
    }
}
