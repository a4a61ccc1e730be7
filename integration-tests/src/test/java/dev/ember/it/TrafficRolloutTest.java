package dev.ember.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ember.runtime.testing.FixtureModels;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.restassured.RestAssured;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * The acceptance test of the in-process rollout: under continuous load from several clients, linear moves from
 * 100/0 to 50/50 to 0/100 by {@code PUT /functions/linear/traffic}. No request fails, every response's version
 * (header and body) is the one whose weights computed its values, and the split seen in each phase matches the
 * weights: exactly at the ends, within a binomial 5-sigma bound at 50/50.
 */
@QuarkusTest
@TestProfile(TrafficProfile.class)
public class TrafficRolloutTest {

    static final int CLIENTS = 8;
    static final Duration PHASE = Duration.ofSeconds(3);
    static final int MIN_PER_PHASE = 400;
    static final Duration PHASE_LIMIT = Duration.ofSeconds(60);

    static final float[][] WEIGHTS = {FixtureModels.LINEAR_W1, FixtureModels.LINEAR_W2};
    static final float[][] BIASES = {FixtureModels.LINEAR_B1, FixtureModels.LINEAR_B2};

    /** One request as the client saw it; {@code version} is 0 when it failed, with the reason in {@code failure}. */
    record Outcome(long sent, long done, int version, String failure) {
    }

    /** A weight change: {@code started} before the PUT was sent, {@code inForce} once its response was read. */
    record Change(long started, long inForce) {
    }

    private final ObjectMapper mapper = new ObjectMapper();
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(10)).build();
    private URI base;

    @Test
    void shiftsTrafficUnderLoadWithoutAFailureAndWithHonestAttribution() throws Exception {
        base = URI.create(RestAssured.baseURI + ":" + RestAssured.port);
        TrafficTest.putTraffic("linear", TrafficTest.STABLE_ONLY).then().statusCode(200);
        // both versions loaded before the clients start: the test is about routing, not cold starts
        assertThat(invoke("/functions/linear/versions/1").version()).isEqualTo(1);
        assertThat(invoke("/functions/linear/versions/2").version()).isEqualTo(2);
        double v1Before = invocations("1");
        double v2Before = invocations("2");
        double failedBefore = failures();

        Queue<Outcome> outcomes = new ConcurrentLinkedQueue<>();
        AtomicBoolean stop = new AtomicBoolean();
        AtomicInteger completed = new AtomicInteger();
        List<Thread> clients = new ArrayList<>();
        for (int i = 0; i < CLIENTS; i++) {
            Thread t = new Thread(() -> {
                while (!stop.get()) {
                    outcomes.add(invoke("/functions/linear"));
                    completed.incrementAndGet();
                }
            }, "rollout-client-" + i);
            t.start();
            clients.add(t);
        }

        List<Change> changes = new ArrayList<>();
        long start = System.nanoTime();
        changes.add(new Change(start, start)); // 100/0 has been in force since before the first request
        hold(completed);
        changes.add(change(50, 50));
        hold(completed);
        changes.add(change(0, 100));
        hold(completed);
        stop.set(true);
        for (Thread t : clients) {
            t.join();
        }
        long end = System.nanoTime();

        List<Outcome> all = List.copyOf(outcomes);
        assertThat(all.stream().filter(o -> o.failure() != null).map(Outcome::failure).limit(10).toList())
                .as("failed requests out of %d", all.size()).isEmpty();

        int[] phase0 = split(all, changes.get(0).inForce(), changes.get(1).started());
        int[] phase1 = split(all, changes.get(1).inForce(), changes.get(2).started());
        int[] phase2 = split(all, changes.get(2).inForce(), end);
        System.out.printf("rollout under load: %d requests, 0 failed; 100/0 -> %s, 50/50 -> %s, 0/100 -> %s%n",
                all.size(), Arrays.toString(phase0), Arrays.toString(phase1), Arrays.toString(phase2));

        // at the ends the split is exact: after the PUT returns, no request goes to a version at 0%
        assertThat(phase0[1]).isZero();
        assertThat(phase0[0]).isGreaterThanOrEqualTo(MIN_PER_PHASE);
        assertThat(phase2[0]).isZero();
        assertThat(phase2[1]).isGreaterThanOrEqualTo(MIN_PER_PHASE);
        // at 50/50 each request is a fair coin: 5 standard deviations of binomial(n, 1/2) is 2.5 * sqrt(n)
        int n = phase1[0] + phase1[1];
        assertThat(n).isGreaterThanOrEqualTo(MIN_PER_PHASE);
        assertThat(Math.abs(phase1[0] - n / 2.0)).as("version 1 of %d at 50/50", n).isLessThanOrEqualTo(2.5 * Math.sqrt(n));

        // the server's own per-version counters agree with what the clients saw, so a rollout can compare them
        long byV1 = all.stream().filter(o -> o.version() == 1).count();
        long byV2 = all.stream().filter(o -> o.version() == 2).count();
        TrafficTest.awaitMetric(v1Before + byV1, "ember_invocations_total", "function", "linear", "version", "1",
                "outcome", "success");
        TrafficTest.awaitMetric(v2Before + byV2, "ember_invocations_total", "function", "linear", "version", "2",
                "outcome", "success");
        assertThat(failures()).isEqualTo(failedBefore);
        assertThat(Metrics.value("ember_traffic_percent", "function", "linear", "version", "2")).isEqualTo(100);
    }

    /** Keeps the current weights for at least {@link #PHASE} and {@link #MIN_PER_PHASE} answered requests. */
    private static void hold(AtomicInteger completed) throws InterruptedException {
        long from = System.nanoTime();
        int before = completed.get();
        while (System.nanoTime() - from < PHASE.toNanos()
                || (completed.get() - before < 2 * MIN_PER_PHASE && System.nanoTime() - from < PHASE_LIMIT.toNanos())) {
            Thread.sleep(50);
        }
    }

    private Change change(int v1, int v2) {
        long started = System.nanoTime();
        String body = "{\"traffic\": [{\"version\": \"1\", \"percent\": " + v1 + ", \"tag\": \"stable\"},"
                + " {\"version\": \"2\", \"percent\": " + v2 + ", \"tag\": \"candidate\"}]}";
        TrafficTest.putTraffic("linear", body).then().statusCode(200);
        return new Change(started, System.nanoTime());
    }

    /** Requests per version among those that were sent after {@code from} and answered before {@code to}. */
    private static int[] split(List<Outcome> outcomes, long from, long to) {
        int[] counts = new int[2];
        for (Outcome o : outcomes) {
            if (o.sent() >= from && o.done() <= to) {
                counts[o.version() - 1]++;
            }
        }
        return counts;
    }

    /** One request with random exact inputs; the version is the one whose weights explain the output. */
    private Outcome invoke(String path) {
        ThreadLocalRandom random = ThreadLocalRandom.current();
        float[] x = new float[4];
        float[][] expected = new float[2][];
        do {
            for (int i = 0; i < 4; i++) {
                x[i] = random.nextInt(-16, 17);
            }
            for (int v = 0; v < 2; v++) {
                expected[v] = FixtureModels.applyLinear(x, WEIGHTS[v], BIASES[v]);
            }
        } while (same(expected[0], expected[1]));
        String body = "{\"inputs\": [{\"name\": \"x\", \"shape\": [1, 4], \"datatype\": \"FP32\", \"data\": "
                + Arrays.toString(x) + "}]}";
        HttpRequest request = HttpRequest.newBuilder(base.resolve(path)).timeout(Duration.ofSeconds(30))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build();
        long sent = System.nanoTime();
        try {
            HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
            long done = System.nanoTime();
            if (response.statusCode() != 200) {
                return new Outcome(sent, done, 0, response.statusCode() + " " + response.body());
            }
            String header = response.headers().firstValue("Ember-Version").orElse("");
            JsonNode json = mapper.readTree(response.body());
            String inBody = json.path("model_version").asText();
            JsonNode data = json.path("outputs").path(0).path("data");
            float[] y = {(float) data.path(0).asDouble(Double.NaN), (float) data.path(1).asDouble(Double.NaN)};
            for (int v = 1; v <= 2; v++) {
                if (same(y, expected[v - 1])) {
                    if (!header.equals(String.valueOf(v)) || !inBody.equals(String.valueOf(v))) {
                        return new Outcome(sent, done, 0, "computed by version " + v + " but attributed to "
                                + header + " (header) and " + inBody + " (body)");
                    }
                    return new Outcome(sent, done, v, null);
                }
            }
            return new Outcome(sent, done, 0, "output " + Arrays.toString(y) + " for " + Arrays.toString(x)
                    + " is neither version's");
        } catch (Exception e) {
            return new Outcome(sent, System.nanoTime(), 0, e.toString());
        }
    }

    private static boolean same(float[] a, float[] b) {
        return a[0] == b[0] && a[1] == b[1];
    }

    private static double invocations(String version) {
        return Metrics.value("ember_invocations_total", "function", "linear", "version", version, "outcome", "success");
    }

    private static double failures() {
        double all = Metrics.value("ember_invocations_total", "function", "linear");
        return all - invocations("1") - invocations("2");
    }
}
