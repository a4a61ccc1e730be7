package dev.ember.runtime.http;

import io.quarkus.vertx.web.RouteFilter;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.ext.web.RoutingContext;

/**
 * A body without a Content-Type is 415 on the JSON endpoints: JAX-RS would otherwise take it as if it were JSON, and
 * the README promises 415 for anything that is not {@code application/json}.
 */
public class ContentTypeFilter {

    @RouteFilter(150)
    void requireContentType(RoutingContext rc) {
        HttpServerRequest request = rc.request();
        if ((request.method() == HttpMethod.POST || request.method() == HttpMethod.PUT) && jsonEndpoint(request.path())
                && hasBody(request) && blank(request.getHeader(HttpHeaders.CONTENT_TYPE))) {
            RouteErrors.end(rc, 415, "'Content-Type' is missing: send the body as application/json");
            return;
        }
        rc.next();
    }

    static boolean jsonEndpoint(String path) {
        return path != null && (path.startsWith("/functions/") || path.startsWith("/v1/")
                || (path.startsWith("/v2/") && path.endsWith("/infer")));
    }

    private static boolean hasBody(HttpServerRequest request) {
        String length = request.getHeader(HttpHeaders.CONTENT_LENGTH);
        if (length != null) {
            return !length.strip().equals("0");
        }
        return request.getHeader(HttpHeaders.TRANSFER_ENCODING) != null;
    }

    private static boolean blank(String value) {
        return value == null || value.isBlank();
    }
}
