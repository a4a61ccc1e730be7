package dev.ember.benchmarks;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/** What every scenario shares: where the app is, the scale of the run, the load generator, request bodies. */
final class Harness {

    static final ObjectMapper JSON = new ObjectMapper();
    static final String EMBED = "/functions/embed";
    static final String SHORT_SENTENCE = "A man is playing a guitar.";
    /** Texts of different lengths, so batches pad like real traffic does. */
    static final List<String> MIXED_TEXTS = List.of(
            "A man is playing a guitar.",
            "Someone is playing an instrument.",
            "The stock market fell sharply today.",
            "Ember serves ONNX models as functions over HTTP.",
            "A quick brown fox jumps over the lazy dog while the farmer watches from the porch.",
            "Dynamic batching groups concurrent requests into one model run, padding each text to the longest.",
            "Hello.",
            "Serverless runtimes scale to zero when idle and load models again on the first request, which is "
                    + "why cold start time matters as much as steady-state latency.");
    static final Duration START_LIMIT = Duration.ofMinutes(3);

    final Path app;
    final Path logs;
    final boolean quick;
    final String token = UUID.randomUUID().toString();
    final LoadGenerator load = new LoadGenerator(Clock.SYSTEM, EmberClient.REQUEST_TIMEOUT);
    // experiment options added to every Ember process (run.sh --set)
    private final Map<String, String> extra;

    Harness(Path app, Path logs, boolean quick, Map<String, String> extra) {
        this.app = app;
        this.logs = logs;
        this.quick = quick;
        this.extra = extra;
    }

    /** A count of the full run, a tenth of it in a quick run (a smoke test of the harness, not a measurement). */
    int count(int full) {
        return quick ? Math.max(2, full / 10) : full;
    }

    Duration time(Duration full) {
        return quick ? full.dividedBy(10) : full;
    }

    /** Intra-op threads of Ember's sessions, so the raw baseline uses the same: the CPUs unless an experiment sets them. */
    int intraOpThreads() {
        String set = extra.get("ember.onnx.intra-op-threads");
        return set != null ? Integer.parseInt(set) : Runtime.getRuntime().availableProcessors();
    }

    EmberProcess start(String name, Map<String, String> properties) throws IOException {
        Map<String, String> all = new LinkedHashMap<>(properties);
        all.putAll(extra);
        return EmberProcess.start(app, name, all, logs, token);
    }

    static byte[] embedBody(String text) {
        ObjectNode body = JSON.createObjectNode().put("input", text);
        try {
            return JSON.writeValueAsBytes(body);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static double median(List<Double> values) {
        List<Double> sorted = values.stream().sorted().toList();
        int n = sorted.size();
        return n == 0 ? Double.NaN : n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
    }

    static void log(String format, Object... args) {
        System.out.printf("[bench] " + format + "%n", args);
        System.out.flush();
    }
}
