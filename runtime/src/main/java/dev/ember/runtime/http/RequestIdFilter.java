package dev.ember.runtime.http;

import io.quarkus.vertx.web.RouteFilter;
import io.vertx.ext.web.RoutingContext;
import org.jboss.logging.MDC;

import java.util.UUID;
import java.util.regex.Pattern;

/**
 * Gives every request an id: the caller's {@code X-Request-Id} (Envoy, Istio and nginx set one) when it is a plain
 * token, else a new UUID. It is answered in {@code X-Request-Id}, named by a 500's body, and put in the log MDC as
 * {@code requestId}, which follows the request to the worker thread (Quarkus keeps the MDC in the request's context).
 */
public class RequestIdFilter {

    static final String HEADER = "X-Request-Id";
    static final String MDC_KEY = "requestId";
    private static final Pattern TOKEN = Pattern.compile("[A-Za-z0-9._:-]{1,64}");

    // before every other filter, so that a request refused early has its id too
    @RouteFilter(400)
    void assign(RoutingContext rc) {
        String given = rc.request().getHeader(HEADER);
        String id = given != null && TOKEN.matcher(given).matches() ? given : UUID.randomUUID().toString();
        MDC.put(MDC_KEY, id);
        rc.response().putHeader(HEADER, id);
        rc.next();
    }

    /** The current request's id; a new one outside a request. */
    static String current() {
        Object id = MDC.get(MDC_KEY);
        return id != null ? id.toString() : UUID.randomUUID().toString();
    }
}
