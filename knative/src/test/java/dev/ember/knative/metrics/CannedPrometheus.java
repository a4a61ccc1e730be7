package dev.ember.knative.metrics;

import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Function;

/** A local stand-in for the Prometheus HTTP API on 127.0.0.1: answers each query with canned JSON. */
public final class CannedPrometheus implements AutoCloseable {

    /** An HTTP status and a body. */
    public record Answer(int status, String body) {
    }

    /** A query as received: the decoded {@code query} and {@code time} parameters, and the headers. */
    public record Received(String query, String time, Map<String, List<String>> headers) {
    }

    private final HttpServer server;
    private final List<Received> received = new CopyOnWriteArrayList<>();

    public CannedPrometheus(Function<String, Answer> answers) {
        try {
            server = HttpServer.create(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 0), 0);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        server.createContext("/api/v1/query", exchange -> {
            String rawQuery = exchange.getRequestURI().getRawQuery();
            String query = param(rawQuery, "query");
            received.add(new Received(query, param(rawQuery, "time"), exchange.getRequestHeaders()));
            Answer answer = answers.apply(query);
            byte[] body = answer.body().getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().add("Content-Type", "application/json");
            exchange.sendResponseHeaders(answer.status(), body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        });
        server.start();
    }

    public URI uri() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
    }

    public List<Received> received() {
        return received;
    }

    /** {@code {"status":"success","data":{"resultType":"vector","result":[...one series per value...]}}} */
    public static Answer vector(String... values) {
        StringBuilder series = new StringBuilder();
        for (String v : values) {
            series.append(series.length() == 0 ? "" : ",")
                    .append("{\"metric\":{},\"value\":[1764000000.123,\"").append(v).append("\"]}");
        }
        return new Answer(200, "{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":[" + series + "]}}");
    }

    private static String param(String rawQuery, String name) {
        if (rawQuery == null) {
            return null;
        }
        for (String pair : rawQuery.split("&")) {
            int eq = pair.indexOf('=');
            if (eq > 0 && pair.substring(0, eq).equals(name)) {
                return URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
            }
        }
        return null;
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
