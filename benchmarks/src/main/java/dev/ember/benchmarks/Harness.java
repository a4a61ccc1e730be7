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
    static final String OPENAI_EMBEDDINGS = "/v1/embeddings";
    /** The DIY peer's endpoint; it takes {@link #embedBody} too. */
    static final String DIY_EMBED = "/embed";
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
    /** The DIY peer's {@code quarkus-run.jar}. */
    final Path diyApp;
    /** The start command of Ember with the JDK 25 AOT cache, or empty when there is none ({@link #aotAbsent}). */
    final List<String> aotCommand;
    /** Why the AOT start is not measured, when {@link #aotCommand} is empty. */
    final String aotAbsent;
    /** Where the AOT start command runs (a cache records the class path as the training run saw it). */
    final Path aotDir;
    final Path logs;
    final boolean quick;
    final String token = UUID.randomUUID().toString();
    final LoadGenerator load = new LoadGenerator(Clock.SYSTEM, EmberClient.REQUEST_TIMEOUT);
    // experiment options added to every Ember process (run.sh --set)
    private final Map<String, String> extra;

    Harness(Path app, Path diyApp, List<String> aotCommand, String aotAbsent, Path aotDir, Path logs, boolean quick,
            Map<String, String> extra) {
        this.app = app;
        this.diyApp = diyApp;
        this.aotCommand = List.copyOf(aotCommand);
        this.aotAbsent = aotAbsent;
        this.aotDir = aotDir;
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

    /** Process starts per kind in the start-up scenario: 3, or 1 in a quick run. */
    int starts() {
        return quick ? 1 : 3;
    }

    /** Ember as packaged, with {@code properties} and the experiment's options. */
    EmberProcess start(String name, Map<String, String> properties) throws IOException {
        return EmberProcess.start(EmberProcess.jarCommand(app), null, name, withExtra(properties), logs, token);
    }

    /** Ember from its AOT start command (only when {@link #aotCommand} is not empty), with the experiment's options. */
    EmberProcess startAot(String name) throws IOException {
        return EmberProcess.start(aotCommand, aotDir, name, withExtra(Map.of()), logs, token);
    }

    /** The DIY peer, as packaged: the experiment's options are Ember's, so they are not passed to it. */
    EmberProcess startDiy(String name) throws IOException {
        return EmberProcess.start(EmberProcess.jarCommand(diyApp), null, name, Map.of(), logs, null);
    }

    /** The experiment's options ({@code --set}), which every Ember process gets. */
    Map<String, String> extra() {
        return Map.copyOf(extra);
    }

    private Map<String, String> withExtra(Map<String, String> properties) {
        Map<String, String> all = new LinkedHashMap<>(properties);
        all.putAll(extra);
        return all;
    }

    static byte[] embedBody(String text) {
        return bytes(JSON.createObjectNode().put("input", text));
    }

    /** An OpenAI {@code /v1/embeddings} body naming Ember's {@code embed} function. */
    static byte[] openAiBody(String text) {
        return bytes(JSON.createObjectNode().put("model", "embed").put("input", text));
    }

    private static byte[] bytes(ObjectNode body) {
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
