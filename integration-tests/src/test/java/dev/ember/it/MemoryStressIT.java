package dev.ember.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ember.runtime.testing.FixtureModels;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/**
 * The packaged application as its container runs it ({@code -Xmx1g -XX:+ExitOnOutOfMemoryError}) under concurrent
 * requests each as large as the per-request limits allow, to every endpoint: embed with the most texts of the most
 * tokens, {@code /v1/embeddings} with the most short texts, 14 MB and 7 MB BYTES and a 16 MB FP32 tensor to identity models,
 * and CloudEvents to embed. The process never dies and every answer is 200, 413 or 503 (with Retry-After) with a
 * JSON error body. Peak RSS and the counts are written to {@code target/packaged-app/memory-stress.txt}.
 * {@code -Dember.stress.seconds} (30 by default) and {@code -Dember.stress.clients} (8) size it. embed's timeout is
 * raised to 120 s: this checks memory, and a CPU-bound run queued behind others on two cores may otherwise be 504.
 */
class MemoryStressIT {

    static final List<String> JVM = List.of("-Xmx1g", "-XX:+ExitOnOutOfMemoryError");

    record Kind(String name, String path, Map<String, String> headers, byte[] body) {
    }

    static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    /** {@code count} texts, each about {@code words} words (one WordPiece token or so each). */
    static String texts(int count, int words) {
        StringBuilder sb = new StringBuilder("[");
        for (int i = 0; i < count; i++) {
            sb.append(i == 0 ? "" : ",").append('"');
            for (int w = 0; w < words; w++) {
                sb.append(w == 0 ? "" : " ").append("word").append((i + w) % 97);
            }
            sb.append('"');
        }
        return sb.append(']').toString();
    }

    static byte[] bytesTensor(int elements) {
        StringBuilder sb = new StringBuilder(elements * 4 + 128).append("{\"inputs\":[{\"name\":\"x\",\"shape\":[")
                .append(elements).append("],\"datatype\":\"BYTES\",\"data\":[");
        for (int i = 0; i < elements; i++) {
            sb.append(i == 0 ? "\"a\"" : ",\"a\"");
        }
        return utf8(sb.append("]}]}").toString());
    }

    static byte[] fp32Tensor(int rows, int cols) {
        StringBuilder sb = new StringBuilder(rows * cols * 2 + 128).append("{\"inputs\":[{\"name\":\"x\",\"shape\":[")
                .append(rows).append(',').append(cols).append("],\"datatype\":\"FP32\",\"data\":[");
        for (int i = 0; i < rows * cols; i++) {
            sb.append(i == 0 ? "0" : ",0");
        }
        return utf8(sb.append("]}]}").toString());
    }

    /** The value of an untagged gauge in a Prometheus scrape; "absent" when it is not there. */
    static String gauge(String scrape, String name) {
        for (String line : scrape.split("\n")) {
            if (line.startsWith(name + " ") || line.startsWith(name + "{")) {
                return line.substring(line.lastIndexOf(' ') + 1);
            }
        }
        return "absent";
    }

    static List<Kind> kinds() {
        Map<String, String> json = Map.of("Content-Type", "application/json");
        Map<String, String> event = Map.of("Content-Type", "application/json", "ce-specversion", "1.0",
                "ce-id", "stress", "ce-source", "/stress", "ce-type", "dev.ember.embed.request");
        List<Kind> kinds = new ArrayList<>();
        // the documented maximum: 2048 texts of (more than) max-tokens each
        kinds.add(new Kind("embed-2048x256", "/functions/embed", json, utf8("{\"input\":" + texts(2048, 300) + "}")));
        // 32 texts at max-tokens: the size of one full batch
        kinds.add(new Kind("embed-32x256", "/functions/embed", json, utf8("{\"input\":" + texts(32, 300) + "}")));
        kinds.add(new Kind("v1-2048x8", "/v1/embeddings", json,
                utf8("{\"model\":\"embed\",\"input\":" + texts(2048, 3) + "}")));
        kinds.add(new Kind("v2-bytes-14MB", "/v2/models/identity_string/infer", json, bytesTensor(3_500_000)));
        kinds.add(new Kind("v2-bytes-7MB", "/v2/models/identity_string/infer", json, bytesTensor(1_750_000)));
        kinds.add(new Kind("v2-fp32-2000000x4", "/v2/models/identity_fp32/infer", json, fp32Tensor(2_000_000, 4)));
        kinds.add(new Kind("event-embed-256x256", "/", event, utf8("{\"input\":" + texts(256, 300) + "}")));
        return kinds;
    }

    @Test
    void concurrentLargestRequestsNeverKillTheProcess() throws Exception {
        int seconds = Integer.getInteger("ember.stress.seconds", 30);
        int clients = Integer.getInteger("ember.stress.clients", 8);
        Path root = Files.createTempDirectory("ember-stress");
        for (String model : List.of("identity_string", "identity_fp32")) {
            Path file = root.resolve(model).resolve("1").resolve("model.onnx");
            Files.createDirectories(file.getParent());
            Files.write(file, FixtureModels.all().get(model));
        }
        List<Kind> kinds = kinds();
        Map<String, Map<Integer, LongAdder>> counts = new ConcurrentHashMap<>();
        List<String> problems = new java.util.concurrent.CopyOnWriteArrayList<>();
        try (PackagedApp app = PackagedApp.start("memory-stress", JVM, Map.of(
                "ember.repository.path", root.toString(),
                "ember.functions.identity_string.min-warm", "true",
                "ember.functions.identity_fp32.min-warm", "true",
                "ember.functions.embed.min-warm", "true",
                // memory, not CPU, is under test: on two shared cores a 2048-row run behind others can pass 30 s
                "ember.functions.embed.timeout", "120s"))) {
            long rssBefore = app.rssKib().orElse(-1);
            String budget = gauge(app.get("/q/metrics").body(), "ember_pool_in_flight_budget_bytes");
            AtomicLong maxInFlight = new AtomicLong();
            long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
            ExecutorService pool = Executors.newFixedThreadPool(clients + 1);
            List<Future<?>> running = new ArrayList<>();
            running.add(pool.submit(() -> {
                while (System.nanoTime() < end && app.process.isAlive()) {
                    try {
                        long used = (long) Double.parseDouble(gauge(app.get("/q/metrics").body(), "ember_pool_in_flight_bytes"));
                        maxInFlight.accumulateAndGet(used, Math::max);
                        Thread.sleep(250);
                    } catch (Exception e) {
                        // sampling is best effort
                    }
                }
                return null;
            }));
            for (int c = 0; c < clients; c++) {
                int first = c;
                running.add(pool.submit(() -> {
                    for (int i = first; System.nanoTime() < end && app.process.isAlive(); i++) {
                        Kind kind = kinds.get(i % kinds.size());
                        HttpRequest.Builder request = HttpRequest.newBuilder(app.uri(kind.path()))
                                .timeout(Duration.ofSeconds(120)).POST(HttpRequest.BodyPublishers.ofByteArray(kind.body()));
                        kind.headers().forEach(request::header);
                        int status;
                        try {
                            HttpResponse<byte[]> r = app.http.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
                            status = r.statusCode();
                            if (status != 200) {
                                String body = new String(r.body(), 0, Math.min(r.body().length, 2000), StandardCharsets.UTF_8);
                                if (!body.startsWith("{\"error\":")) {
                                    problems.add(kind.name() + " " + status + " without a JSON error: " + body);
                                }
                                if (status == 503 && r.headers().firstValue("Retry-After").isEmpty()) {
                                    problems.add(kind.name() + " 503 without Retry-After");
                                }
                                if (status != 413 && status != 503) {
                                    problems.add(kind.name() + " " + status + ": " + body);
                                }
                            }
                        } catch (Exception e) {
                            status = -1;
                            problems.add(kind.name() + " failed: " + e);
                        }
                        counts.computeIfAbsent(kind.name(), k -> new ConcurrentHashMap<>())
                                .computeIfAbsent(status, s -> new LongAdder()).increment();
                    }
                    return null;
                }));
            }
            for (Future<?> f : running) {
                f.get(seconds + 300L, TimeUnit.SECONDS);
            }
            pool.shutdownNow();

            boolean alive = app.process.isAlive();
            long peak = app.peakRssKib().orElse(-1);
            int ready = alive ? app.get("/q/health/ready").statusCode() : -1;
            StringBuilder report = new StringBuilder();
            report.append("JVM options: ").append(String.join(" ", JVM)).append('\n')
                    .append("clients: ").append(clients).append(", seconds: ").append(seconds).append('\n')
                    .append("in-flight budget bytes: ").append(budget).append(", max in use sampled: ")
                    .append(maxInFlight.get()).append('\n')
                    .append("RSS before KiB: ").append(rssBefore).append(", peak RSS (VmHWM) KiB: ").append(peak).append('\n')
                    .append("alive: ").append(alive).append(", ready after: ").append(ready).append('\n');
            Map<String, Map<Integer, Long>> table = new LinkedHashMap<>();
            for (Kind k : kinds) {
                Map<Integer, Long> byStatus = new TreeMap<>();
                counts.getOrDefault(k.name(), Map.of()).forEach((s, n) -> byStatus.put(s, n.sum()));
                table.put(k.name(), byStatus);
                report.append(k.name()).append(" (").append(k.body().length).append(" bytes): ").append(byStatus)
                        .append('\n');
            }
            problems.stream().limit(20).forEach(p -> report.append("problem: ").append(p).append('\n'));
            Path out = Files.createDirectories(Path.of("target", "packaged-app")).resolve("memory-stress.txt");
            Files.writeString(out, report);
            System.out.println(report);

            assertThat(alive).as("the process is alive; its console:\n%s", alive ? "" : app.console()).isTrue();
            assertThat(ready).isEqualTo(200);
            assertThat(problems).isEmpty();
            table.forEach((name, byStatus) -> assertThat(byStatus).as(name).isNotEmpty());
        }
    }
}
