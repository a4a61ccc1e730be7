package dev.ember.runtime.http;

import dev.ember.runtime.config.EmberConfig;
import io.quarkus.vertx.web.RouteFilter;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.ext.web.RoutingContext;
import jakarta.inject.Inject;

import java.util.Map;

/**
 * Ember's own header and request-line limits, so that their refusals carry the JSON error every endpoint uses:
 * the HTTP decoder answers its own 431 and 414 with an empty body, and Quarkus offers no hook to change that, so
 * the decoder's limits are set above these and this filter, the first of all, refuses first.
 */
public class HeaderLimitFilter {

    @Inject
    EmberConfig config;

    @RouteFilter(300)
    void limit(RoutingContext rc) {
        HttpServerRequest request = rc.request();
        EmberConfig.Limits limits = config.limits();
        // METHOD SP request-target SP HTTP/1.1
        int line = request.method().name().length() + 1 + request.uri().length() + 9;
        if (line > limits.maxRequestLineLength()) {
            RouteErrors.end(rc, 414, "the request line is longer than the limit of " + limits.maxRequestLineLength()
                    + " characters (ember.limits.max-request-line-length)");
            return;
        }
        long bytes = 0;
        for (Map.Entry<String, String> header : request.headers()) {
            bytes += header.getKey().length() + 2 + header.getValue().length() + 2;
        }
        if (bytes > limits.maxHeaderBytes()) {
            RouteErrors.end(rc, 431, "the request headers are larger than the limit of " + limits.maxHeaderBytes()
                    + " bytes (ember.limits.max-header-bytes)");
            return;
        }
        rc.next();
    }
}
