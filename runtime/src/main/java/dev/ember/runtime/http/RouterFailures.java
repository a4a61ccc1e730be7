package dev.ember.runtime.http;

import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import jakarta.enterprise.event.Observes;
import org.jboss.logging.Logger;


/**
 * A request that fails in the router, outside JAX-RS (a version the router refuses, such as HTTP/0.9, or a fault in a
 * route filter), gets Ember's JSON error instead of the framework's error page, which names exception classes.
 */
public class RouterFailures {

    private static final Logger LOG = Logger.getLogger(RouterFailures.class);

    void install(@Observes Router router) {
        router.route().order(Integer.MIN_VALUE).failureHandler(RouterFailures::answer);
    }

    static void answer(RoutingContext rc) {
        if (rc.response().ended() || rc.response().headWritten()) {
            return;
        }
        int status = rc.statusCode() >= 400 && rc.statusCode() < 600 ? rc.statusCode() : 500;
        String requestId = RequestIdFilter.current();
        String message;
        if (status >= 500) {
            LOG.errorf(rc.failure(), "request %s: internal error in the router", requestId);
            message = "internal error (request id " + requestId + ")";
        } else {
            LOG.debugf("request %s refused by the router (%d)", requestId, status);
            message = switch (status) {
                case 400 -> "the request is not valid HTTP/1.1";
                case 404 -> "no such resource";
                case 405 -> "method not allowed";
                case 413 -> "the request body is too large";
                case 415 -> "unsupported media type: send application/json";
                default -> "the request was refused (HTTP " + status + ")";
            };
        }
        RouteErrors.end(rc, status, message);
    }
}
