package dev.ember.knative.metrics;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;

/**
 * Instant queries against the Prometheus HTTP API ({@code GET /api/v1/query}).
 * Only what a rollout gate needs: one evaluation time for all queries of an analysis, vector and scalar
 * results, and Prometheus' own spellings of special values ({@code NaN}, {@code +Inf}).
 */
public final class PrometheusClient {

    /** One series of an instant vector (or the single value of a scalar result, with no labels). */
    public record Sample(Map<String, String> labels, double value) {
    }

    private static final ObjectMapper JSON = new ObjectMapper();

    private final URI baseUri;
    private final HttpClient http;
    private final Duration timeout;
    private final Optional<String> bearerToken;

    public PrometheusClient(URI baseUri, Duration timeout, Optional<String> bearerToken) {
        String base = baseUri.toString();
        this.baseUri = URI.create(base.endsWith("/") ? base : base + "/");
        this.timeout = timeout;
        this.bearerToken = bearerToken;
        this.http = HttpClient.newBuilder().connectTimeout(timeout).build();
    }

    public URI baseUri() {
        return baseUri;
    }

    /** Evaluates {@code promql} at {@code time}; an empty list is Prometheus' "no data". */
    public List<Sample> query(String promql, Instant time) throws PrometheusException {
        String params = "query=" + URLEncoder.encode(promql, StandardCharsets.UTF_8)
                + "&time=" + formatTime(time);
        URI uri = baseUri.resolve("api/v1/query?" + params);
        HttpRequest.Builder request = HttpRequest.newBuilder(uri).timeout(timeout).GET()
                .header("Accept", "application/json");
        bearerToken.ifPresent(token -> request.header("Authorization", "Bearer " + token));
        HttpResponse<String> response;
        try {
            response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new PrometheusException("Prometheus at " + baseUri + " unreachable: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new PrometheusException("interrupted while querying Prometheus", e);
        }
        return parse(promql, response.statusCode(), response.body());
    }

    /**
     * A query that aggregates to at most one value (e.g. {@code sum(...)}); empty when there is no data or
     * the value is NaN (what {@code histogram_quantile} returns for a revision without requests).
     */
    public OptionalDouble queryValue(String promql, Instant time) throws PrometheusException {
        List<Sample> samples = query(promql, time);
        if (samples.isEmpty()) {
            return OptionalDouble.empty();
        }
        if (samples.size() > 1) {
            throw new PrometheusException("expected at most one series for " + promql + ", got " + samples.size()
                    + ": " + samples.stream().map(Sample::labels).toList());
        }
        double value = samples.get(0).value();
        return Double.isNaN(value) ? OptionalDouble.empty() : OptionalDouble.of(value);
    }

    static List<Sample> parse(String promql, int status, String body) throws PrometheusException {
        JsonNode root;
        try {
            root = JSON.readTree(body);
        } catch (IOException e) {
            throw new PrometheusException("Prometheus answered HTTP " + status + " with a body that is not JSON for "
                    + promql, e);
        }
        if (root == null || !root.isObject()) {
            throw new PrometheusException("Prometheus answered HTTP " + status + " without a JSON object for " + promql);
        }
        if (!"success".equals(root.path("status").asText())) {
            throw new PrometheusException("Prometheus rejected " + promql + " (HTTP " + status + "): "
                    + root.path("errorType").asText("unknown") + ": " + root.path("error").asText("no message"));
        }
        JsonNode data = root.path("data");
        String type = data.path("resultType").asText();
        JsonNode result = data.path("result");
        List<Sample> samples = new ArrayList<>();
        switch (type) {
            case "vector" -> {
                for (JsonNode series : result) {
                    Map<String, String> labels = new LinkedHashMap<>();
                    series.path("metric").fields().forEachRemaining(e -> labels.put(e.getKey(), e.getValue().asText()));
                    samples.add(new Sample(labels, value(series.path("value"), promql)));
                }
            }
            case "scalar" -> samples.add(new Sample(Map.of(), value(result, promql)));
            default -> throw new PrometheusException("unsupported result type '" + type + "' for " + promql
                    + " (a gate query must return an instant vector or a scalar)");
        }
        return samples;
    }

    /** A sample is {@code [<unix time>, "<value>"]}; the value is a string so that NaN and infinities survive JSON. */
    private static double value(JsonNode pair, String promql) throws PrometheusException {
        if (!pair.isArray() || pair.size() != 2) {
            throw new PrometheusException("malformed sample " + pair + " for " + promql);
        }
        String text = pair.get(1).asText();
        return switch (text) {
            case "NaN" -> Double.NaN;
            case "+Inf", "Inf" -> Double.POSITIVE_INFINITY;
            case "-Inf" -> Double.NEGATIVE_INFINITY;
            default -> {
                try {
                    yield Double.parseDouble(text);
                } catch (NumberFormatException e) {
                    throw new PrometheusException("malformed sample value '" + text + "' for " + promql, e);
                }
            }
        };
    }

    private static String formatTime(Instant time) {
        return String.format(java.util.Locale.ROOT, "%d.%03d", time.getEpochSecond(), time.getNano() / 1_000_000);
    }
}
