package dev.ember.benchmarks;

import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.OrtSession.SessionOptions;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.ember.runtime.testing.FixtureModels;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ThreadLocalRandom;
import java.util.stream.Stream;

/**
 * Scenario 7: 50 generated models in a directory repository with a memory budget for 10, random access from a few
 * clients: throughput, latency of warm hits and of misses, loads and unloads, resident memory over time.
 */
final class ManyModels {

    static final int MODELS = 50;
    static final int FIT = 10;
    static final int LAYERS = 4;
    static final int WIDTH = 512;
    static final int CLIENTS = 4;
    static final String HIT = "hit";
    static final String MISS = "miss";

    /** Resident memory and the Java heap's committed size (from /q/metrics; -1 if unread) at one moment. */
    record Sample(double seconds, long rssKiB, long heapKiB) {
        long outsideHeapKiB() {
            return rssKiB < 0 || heapKiB < 0 ? -1 : rssKiB - heapKiB;
        }
    }

    record Figures(long modelBytes, long budget, double bareCreateMs, LoadResult result, List<Sample> rss,
            Map<String, Double> counters) {
    }

    /**
     * The client's shadow of the pool's least-recently-used set: a request is labelled a miss when its model is not
     * among the {@code capacity} most recently requested. The server's count of cold starts checks the labels.
     */
    static final class LruShadow {
        private final LinkedHashMap<String, Boolean> recent;

        LruShadow(int capacity) {
            this.recent = new LinkedHashMap<>(capacity * 2, 0.75f, true) {
                @Override
                protected boolean removeEldestEntry(Map.Entry<String, Boolean> eldest) {
                    return size() > capacity;
                }
            };
        }

        synchronized String touch(String model) {
            return recent.put(model, Boolean.TRUE) == null ? MISS : HIT;
        }
    }

    private ManyModels() {
    }

    static Figures run(Harness h) throws Exception {
        byte[] model = FixtureModels.matmulChain(LAYERS, WIDTH);
        long budget = (long) FIT * model.length + model.length / 2;
        Path root = Files.createTempDirectory("ember-bench-models-");
        try {
            for (int i = 0; i < MODELS; i++) {
                Path file = root.resolve(name(i)).resolve("1").resolve("model.onnx");
                Files.createDirectories(file.getParent());
                Files.write(file, model);
            }
            double bare = bareCreateMs(h, model);
            Map<String, String> properties = Map.of("ember.repository.path", root.toString(),
                    "ember.pool.memory-budget", String.valueOf(budget));
            try (EmberProcess ember = h.start("many-models", properties)) {
                ember.awaitReady(Harness.START_LIMIT);
                return measure(h, ember, model.length, budget, bare);
            }
        } finally {
            try (Stream<Path> files = Files.walk(root)) {
                for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(p);
                }
            }
        }
    }

    private static Figures measure(Harness h, EmberProcess ember, long modelBytes, long budget, double bare)
            throws Exception {
        byte[] body = inferBody(new Random(7));
        LruShadow shadow = new LruShadow(FIT);
        String before = ember.client.metrics();
        List<Sample> rss = new ArrayList<>();
        long start = System.nanoTime();
        Duration period = h.time(Duration.ofSeconds(2));
        Thread sampler = new Thread(() -> {
            try {
                while (!Thread.currentThread().isInterrupted()) {
                    Sample sample = sample(ember, start);
                    synchronized (rss) {
                        rss.add(sample);
                    }
                    Thread.sleep(period.toMillis());
                }
            } catch (InterruptedException e) {
                // the run is over
            }
        }, "rss-sampler");
        sampler.setDaemon(true);
        sampler.start();
        LoadResult result;
        try {
            result = h.load.closedLoop(CLIENTS, new LoadGenerator.Bounds(h.count(200_000),
                    h.time(Duration.ofSeconds(90))), () -> {
                        String model = name(ThreadLocalRandom.current().nextInt(MODELS));
                        String label = shadow.touch(model);
                        int status = ember.client.post("/v2/models/" + model + "/infer", body).status();
                        return new Outcome(status, label);
                    });
        } finally {
            sampler.interrupt();
            sampler.join(5_000);
        }
        synchronized (rss) {
            rss.add(sample(ember, start));
        }
        String after = ember.client.metrics();
        Map<String, Double> counters = new LinkedHashMap<>();
        for (String counter : List.of("ember_model_loads_total", "ember_model_unloads_total",
                "ember_model_evictions_total", "ember_cold_starts_total")) {
            counters.put(counter, Prometheus.sum(after, counter, Map.of()) - Prometheus.sum(before, counter, Map.of()));
        }
        Harness.log("many models: %.1f/s, hits p99 %.2f ms (%d), misses p99 %.2f ms (%d), %s; RSS %d -> %d KiB; %s",
                result.throughput(), result.percentileMillis(HIT, 99), result.count(HIT),
                result.percentileMillis(MISS, 99), result.count(MISS), counters, rss.get(0).rssKiB(),
                rss.get(rss.size() - 1).rssKiB(), result.statusLine());
        return new Figures(modelBytes, budget, bare, result, List.copyOf(rss), counters);
    }

    private static Sample sample(EmberProcess ember, long start) throws InterruptedException {
        long rss = ember.rssKiB();
        long heap;
        try {
            heap = (long) (Prometheus.sum(ember.client.metrics(), "jvm_memory_committed_bytes", Map.of("area", "heap"))
                    / 1024);
        } catch (IOException e) {
            heap = -1;
        }
        return new Sample((System.nanoTime() - start) / 1e9, rss, heap);
    }

    /** Least-squares slope of resident memory over the samples, in MiB per minute. */
    static double slopeMiBPerMinute(List<Sample> samples) {
        int n = samples.size();
        if (n < 2) {
            return Double.NaN;
        }
        double mt = samples.stream().mapToDouble(Sample::seconds).average().orElse(0);
        double mr = samples.stream().mapToDouble(Sample::rssKiB).average().orElse(0);
        double num = 0;
        double den = 0;
        for (Sample s : samples) {
            num += (s.seconds() - mt) * (s.rssKiB() - mr);
            den += (s.seconds() - mt) * (s.seconds() - mt);
        }
        return den == 0 ? Double.NaN : num / den * 60 / 1024;
    }

    private static double bareCreateMs(Harness h, byte[] model) throws Exception {
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        List<Double> times = new ArrayList<>();
        try (SessionOptions options = RawEmbedder.options(h.intraOpThreads())) {
            for (int i = 0; i <= h.count(5); i++) {
                long start = System.nanoTime();
                OrtSession session = env.createSession(model, options);
                long elapsed = System.nanoTime() - start;
                session.close();
                if (i > 0) {
                    times.add(elapsed / 1e6);
                }
            }
        }
        return Harness.median(times);
    }

    static String name(int i) {
        return String.format(Locale.ROOT, "m%02d", i);
    }

    /** An Open Inference Protocol request: one row of WIDTH random floats for input x. */
    private static byte[] inferBody(Random random) throws IOException {
        ObjectNode input = Harness.JSON.createObjectNode().put("name", "x").put("datatype", "FP32");
        input.putArray("shape").add(1).add(WIDTH);
        ArrayNode data = input.putArray("data");
        for (int i = 0; i < WIDTH; i++) {
            data.add(random.nextFloat() * 2 - 1);
        }
        ObjectNode request = Harness.JSON.createObjectNode();
        request.putArray("inputs").add(input);
        return Harness.JSON.writeValueAsBytes(request);
    }

    static Report.Section section(Figures f) {
        LoadResult r = f.result();
        List<Sample> rss = f.rss();
        long first = rss.isEmpty() ? -1 : rss.get(0).rssKiB();
        long last = rss.isEmpty() ? -1 : rss.get(rss.size() - 1).rssKiB();
        long max = rss.stream().mapToLong(Sample::rssKiB).max().orElse(-1);
        double end = rss.isEmpty() ? 0 : rss.get(rss.size() - 1).seconds();
        // the pool fills and the heap sizes itself first; flatness is judged over the last two thirds of the run
        List<Sample> settled = rss.stream().filter(s -> s.seconds() >= end / 3).toList();
        long settledMin = settled.stream().mapToLong(Sample::rssKiB).min().orElse(-1);
        long settledMax = settled.stream().mapToLong(Sample::rssKiB).max().orElse(-1);
        long outsideFirst = settled.isEmpty() ? -1 : settled.get(0).outsideHeapKiB();
        long outsideLast = settled.isEmpty() ? -1 : settled.get(settled.size() - 1).outsideHeapKiB();
        List<Report.Row> rows = List.of(
                Report.Row.of("throughput (" + CLIENTS + " clients, uniform random over " + MODELS + " models)",
                        Report.perSecond(r.throughput())),
                Report.Row.compared("p99 latency, warm hits vs misses", Report.ms(r.percentileMillis(HIT, 99)),
                        Report.ms(r.percentileMillis(MISS, 99)), r.percentileMillis(HIT, 99) / r.percentileMillis(MISS, 99)),
                Report.Row.compared("p50 latency, warm hits vs misses", Report.ms(r.percentileMillis(HIT, 50)),
                        Report.ms(r.percentileMillis(MISS, 50)), r.percentileMillis(HIT, 50) / r.percentileMillis(MISS, 50)),
                Report.Row.compared("p50 miss vs bare session creation of one model", Report.ms(r.percentileMillis(MISS, 50)),
                        Report.ms(f.bareCreateMs()), r.percentileMillis(MISS, 50) / f.bareCreateMs()),
                Report.Row.of("requests labelled hit / miss", r.count(HIT) + " / " + r.count(MISS)),
                Report.Row.of("loads / unloads / evictions / cold starts (from `/q/metrics`)", String.format(Locale.ROOT,
                        "%.0f / %.0f / %.0f / %.0f", f.counters().get("ember_model_loads_total"),
                        f.counters().get("ember_model_unloads_total"), f.counters().get("ember_model_evictions_total"),
                        f.counters().get("ember_cold_starts_total"))),
                Report.Row.of("resident memory first / last / max", Report.mib(first) + " / " + Report.mib(last) + " / "
                        + Report.mib(max)),
                Report.Row.of("resident memory over the last two thirds of the run: min / max, trend",
                        Report.mib(settledMin) + " / " + Report.mib(settledMax) + ", " + String.format(Locale.ROOT,
                                "%+.1f MiB/min", slopeMiBPerMinute(settled))),
                Report.Row.of("resident memory outside the committed Java heap, start / end of those two thirds",
                        Report.mib(outsideFirst) + " / " + Report.mib(outsideLast)));
        List<String> notes = new ArrayList<>();
        StringBuilder series = new StringBuilder();
        for (Sample s : rss) {
            series.append(series.length() == 0 ? "" : ", ")
                    .append(String.format(Locale.ROOT, "%.0f s: %.0f (%.0f)", s.seconds(), s.rssKiB() / 1024.0,
                            s.heapKiB() / 1024.0));
        }
        notes.add("Resident memory over the run, MiB (committed Java heap in brackets): " + series + ".");
        notes.add("Requests: " + r.statusLine() + ".");
        notes.add("Hit and miss are the client's prediction (an LRU of the 10 most recently requested models); the "
                + "server counted " + String.format(Locale.ROOT, "%.0f", f.counters().get("ember_cold_starts_total"))
                + " cold starts against " + r.count(MISS) + " predicted misses.");
        return new Report.Section("7. Many models under a memory budget", String.format(Locale.ROOT, """
                %d models, each `FixtureModels.matmulChain(%d, %d)` (%d MatMul layers of %dx%d float weights, %d bytes; \
                the same generated bytes in every model directory), written as a directory repository \
                `<tmp>/mNN/1/model.onnx` and served with `-Dember.repository.path=<tmp>` and \
                `-Dember.pool.memory-budget=%d` (room for %d of them). After readiness, %d clients in a closed loop \
                each send `POST /v2/models/<random model>/infer` (one row of %d floats, uniform random choice of the \
                model) for 90 s, starting with nothing loaded. Loads, unloads, evictions and cold starts are the \
                change of the `/q/metrics` counters over the run; resident memory (VmRSS) is sampled every 2 s, \
                with the Java heap's committed size (`jvm_memory_committed_bytes{area="heap"}`) beside it. \
                Bare session creation is `createSession` of the same bytes in the benchmark's JVM (median of 5).""",
                MODELS, LAYERS, WIDTH, LAYERS, WIDTH, WIDTH, f.modelBytes(), f.budget(), FIT, CLIENTS, WIDTH), rows, notes);
    }
}
