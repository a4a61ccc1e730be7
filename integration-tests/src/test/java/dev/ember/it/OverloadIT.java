package dev.ember.it;

import static dev.ember.it.LoadClients.Ending.CONNECTION_REFUSED;
import static dev.ember.it.LoadClients.Ending.FAILED;
import static dev.ember.it.LoadClients.Ending.OK;
import static dev.ember.it.LoadClients.Ending.REJECTED_WITH_RETRY_AFTER;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ember.runtime.testing.FixtureModels;
import java.net.http.HttpRequest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * Ten times capacity against the packaged application: one model version that holds 5 requests (1 running, 4
 * queued) gets 50 closed-loop clients for a bounded time. Every answer is a 200 or a 503 with Retry-After, the
 * queue never grows past its bound, and the process is ready and serving afterwards. The figures (counts,
 * quantiles, memory) are written to {@code target/packaged-app/overload.txt} for RELIABILITY.md; this test asserts
 * behaviour, not timings. {@code -Dember.overload.seconds} sets the duration (10 s by default).
 */
class OverloadIT {

    static final int CONCURRENCY = 1;
    static final int QUEUE = 4;
    static final int CLIENTS = 10 * (CONCURRENCY + QUEUE);
    static final int ROWS = 16;
    static final int WIDTH = 1024;
    static final Pattern QUEUE_DEPTH = Pattern.compile("^ember_queue_depth\\{[^}]*function=\"slow\"[^}]*} (\\S+)$",
            Pattern.MULTILINE);

    static String body() {
        float[] x = new float[ROWS * WIDTH];
        Arrays.fill(x, 0.5f);
        return "{\"inputs\": [{\"name\": \"x\", \"shape\": [" + ROWS + ", " + WIDTH + "], \"datatype\": \"FP32\", "
                + "\"data\": " + Arrays.toString(x) + "}]}";
    }

    static Map<String, String> slowModel(Path root) throws Exception {
        Path file = root.resolve("slow/1/model.onnx");
        Files.createDirectories(file.getParent());
        Files.write(file, FixtureModels.matmulChain(8, WIDTH));
        return Map.of(
                "ember.repository.path", root.toString(),
                "ember.onnx.intra-op-threads", "1",
                "ember.functions.slow.min-warm", "true",
                "ember.functions.slow.concurrency", String.valueOf(CONCURRENCY),
                "ember.functions.slow.queue.max-size", String.valueOf(QUEUE),
                "ember.functions.slow.timeout", "10s");
    }

    @Test
    void tenTimesCapacityIsShedFastAndTheAcceptedStayBounded() throws Exception {
        int seconds = Integer.getInteger("ember.overload.seconds", 10);
        Path root = Files.createTempDirectory("ember-overload");
        try (PackagedApp app = PackagedApp.start("overload", slowModel(root))) {
            String body = body();
            HttpRequest infer = HttpRequest.newBuilder(app.uri("/v2/models/slow/infer")).timeout(Duration.ofSeconds(60))
                    .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build();
            assertThat(app.post("/v2/models/slow/infer", body).statusCode()).isEqualTo(200);
            long rssBefore = app.rssKib().orElse(-1);

            AtomicBoolean done = new AtomicBoolean();
            AtomicLong maxDepth = new AtomicLong();
            AtomicLong maxRss = new AtomicLong(rssBefore);
            Thread sampler = new Thread(() -> {
                while (!done.get()) {
                    try {
                        Matcher m = QUEUE_DEPTH.matcher(app.get("/q/metrics").body());
                        while (m.find()) {
                            maxDepth.accumulateAndGet((long) Double.parseDouble(m.group(1)), Math::max);
                        }
                        maxRss.accumulateAndGet(app.rssKib().orElse(-1), Math::max);
                        Thread.sleep(250);
                    } catch (Exception e) {
                        return;
                    }
                }
            });
            sampler.start();
            long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
            List<LoadClients.Sent> sent = LoadClients.run(CLIENTS, infer, () -> System.nanoTime() > end, false);
            done.set(true);
            sampler.join();

            assertThat(sent).filteredOn(s -> s.ending() == FAILED || s.ending() == CONNECTION_REFUSED)
                    .as("every answer is a 200 or a 503 with Retry-After").isEmpty();
            assertThat(LoadClients.count(sent, OK)).isPositive();
            assertThat(LoadClients.count(sent, REJECTED_WITH_RETRY_AFTER)).isPositive();
            assertThat(maxDepth.get()).as("queue depth").isLessThanOrEqualTo(QUEUE);

            // healthy afterwards: ready, and a request is served at once
            assertThat(app.get("/q/health/ready").statusCode()).isEqualTo(200);
            assertThat(app.get("/q/health/live").statusCode()).isEqualTo(200);
            assertThat(app.post("/v2/models/slow/infer", body).statusCode()).isEqualTo(200);
            long rssAfter = app.rssKib().orElse(-1);

            String figures = String.format("""
                    overload: %d s, %d clients (10 x capacity %d = concurrency %d + queue %d), %d rows x %d FP32 into \
                    matmul_chain(8, %d), intra-op threads 1
                    requests: %d, accepted (200): %d, rejected (503 + Retry-After): %d, other: %d
                    accepted latency ms: p50 %.1f, p99 %.1f, max %.1f
                    rejected latency ms: p50 %.2f, p99 %.2f, max %.2f
                    throughput: %.1f accepted/s, %.1f rejected/s
                    max queue depth seen: %d (bound %d)
                    RSS KiB: before %d, max during %d, after %d
                    """, seconds, CLIENTS, CONCURRENCY + QUEUE, CONCURRENCY, QUEUE, ROWS, WIDTH, WIDTH,
                    sent.size(), LoadClients.count(sent, OK), LoadClients.count(sent, REJECTED_WITH_RETRY_AFTER),
                    LoadClients.count(sent, FAILED) + LoadClients.count(sent, CONNECTION_REFUSED),
                    LoadClients.quantileMillis(sent, OK, 0.5), LoadClients.quantileMillis(sent, OK, 0.99),
                    LoadClients.quantileMillis(sent, OK, 1),
                    LoadClients.quantileMillis(sent, REJECTED_WITH_RETRY_AFTER, 0.5),
                    LoadClients.quantileMillis(sent, REJECTED_WITH_RETRY_AFTER, 0.99),
                    LoadClients.quantileMillis(sent, REJECTED_WITH_RETRY_AFTER, 1),
                    LoadClients.count(sent, OK) / (double) seconds,
                    LoadClients.count(sent, REJECTED_WITH_RETRY_AFTER) / (double) seconds,
                    maxDepth.get(), QUEUE, rssBefore, maxRss.get(), rssAfter);
            System.out.print(figures);
            Files.writeString(app.log.resolveSibling("overload.txt"), figures);
        }
    }
}
