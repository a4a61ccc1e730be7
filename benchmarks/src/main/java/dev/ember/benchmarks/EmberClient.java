package dev.ember.benchmarks;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;

/** HTTP to one Ember process on 127.0.0.1 (HTTP/1.1 with keep-alive, like a typical client library). */
final class EmberClient {

    static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(30);

    private final HttpClient http;
    private final String base;
    private final String token;

    EmberClient(int port, String token) {
        this.http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(5)).build();
        this.base = "http://127.0.0.1:" + port;
        this.token = token;
    }

    Outcome post(String path, byte[] json) throws IOException, InterruptedException {
        return Outcome.of(http.send(postRequest(path, json), HttpResponse.BodyHandlers.discarding()).statusCode());
    }

    CompletableFuture<Outcome> postAsync(String path, byte[] json) {
        return http.sendAsync(postRequest(path, json), HttpResponse.BodyHandlers.discarding())
                .thenApply(r -> Outcome.of(r.statusCode()));
    }

    HttpResponse<String> postForBody(String path, byte[] json) throws IOException, InterruptedException {
        return http.send(postRequest(path, json), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
    }

    int get(String path) throws IOException, InterruptedException {
        return http.send(HttpRequest.newBuilder(URI.create(base + path)).timeout(REQUEST_TIMEOUT).GET().build(),
                HttpResponse.BodyHandlers.discarding()).statusCode();
    }

    String metrics() throws IOException, InterruptedException {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(base + "/q/metrics"))
                .timeout(REQUEST_TIMEOUT).GET().build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
        if (r.statusCode() != 200) {
            throw new IOException("GET /q/metrics answered " + r.statusCode());
        }
        return r.body();
    }

    /** {@code POST /v2/repository/models/{model}/unload}; returns once the model's session is closed. */
    void unload(String model) throws IOException, InterruptedException {
        HttpRequest request = HttpRequest.newBuilder(URI.create(base + "/v2/repository/models/" + model + "/unload"))
                .timeout(REQUEST_TIMEOUT).header("Authorization", "Bearer " + token)
                .POST(HttpRequest.BodyPublishers.noBody()).build();
        HttpResponse<String> r = http.send(request, HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
        if (r.statusCode() != 200) {
            throw new IOException("unloading " + model + " answered " + r.statusCode() + ": " + r.body());
        }
    }

    private HttpRequest postRequest(String path, byte[] json) {
        return HttpRequest.newBuilder(URI.create(base + path)).timeout(REQUEST_TIMEOUT)
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(json)).build();
    }
}
