package dev.ember.benchmarks;

import java.io.IOException;
import java.io.InputStream;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** Scenario 5: an unloaded model's first response vs a warm one vs bare session creation. */
final class ColdStart {

    /** In-process costs of making the model servable, each a list of repetitions in milliseconds. */
    record Bare(List<Double> createMs, List<Double> createAndFirstRunMs, List<Double> readMs, List<Double> sha256Ms) {
    }

    record Cycles(List<Double> coldMs, List<Double> warmMs, double serverLoadMeanMs, double loadPhaseMeanMs) {
    }

    private ColdStart() {
    }

    static Bare bare(Harness h, byte[] model) throws Exception {
        RawEmbedder.Tokens tokens = RawEmbedder.tokenize(Harness.SHORT_SENTENCE);
        List<Double> create = new ArrayList<>();
        List<Double> createAndRun = new ArrayList<>();
        List<Double> read = new ArrayList<>();
        List<Double> sha = new ArrayList<>();
        int repetitions = h.count(5);
        RawEmbedder.sessionCreationNanos(model, h.intraOpThreads()); // the first creation in a JVM also initialises native code
        for (int i = 0; i < repetitions; i++) {
            long start = System.nanoTime();
            try (RawEmbedder raw = new RawEmbedder(model, h.intraOpThreads())) {
                long created = System.nanoTime();
                raw.embed(tokens);
                long ran = System.nanoTime();
                create.add((created - start) / 1e6);
                createAndRun.add((ran - start) / 1e6);
            }
            long readStart = System.nanoTime();
            byte[] bytes = readResource();
            long readEnd = System.nanoTime();
            MessageDigest.getInstance("SHA-256").digest(bytes);
            long hashed = System.nanoTime();
            read.add((readEnd - readStart) / 1e6);
            sha.add((hashed - readEnd) / 1e6);
        }
        Harness.log("bare: createSession %s ms, create + first run %s ms, read %s ms, sha256 %s ms", create,
                createAndRun, read, sha);
        return new Bare(create, createAndRun, read, sha);
    }

    private static byte[] readResource() throws IOException {
        try (InputStream in = ColdStart.class.getClassLoader().getResourceAsStream(RawEmbedder.MODEL_RESOURCE)) {
            return in.readAllBytes();
        }
    }

    /** Unload {@code embed}, time its first response, then its warm responses; repeated. */
    static Cycles cycles(Harness h, EmberProcess ember) throws Exception {
        byte[] body = Harness.embedBody(Harness.SHORT_SENTENCE);
        List<Double> cold = new ArrayList<>();
        List<Double> warm = new ArrayList<>();
        String before = ember.client.metrics();
        for (int i = 0; i < h.count(5); i++) {
            ember.client.unload("embed");
            Thread.sleep(500); // let the freed memory and threads settle, as after a real idle period
            long start = System.nanoTime();
            Outcome first = ember.client.post(Harness.EMBED, body);
            cold.add((System.nanoTime() - start) / 1e6);
            if (first.status() != 200) {
                throw new IOException("the first embed after an unload answered " + first.status());
            }
            List<Double> warmOnes = new ArrayList<>();
            for (int j = 0; j < 20; j++) {
                long t = System.nanoTime();
                ember.client.post(Harness.EMBED, body);
                warmOnes.add((System.nanoTime() - t) / 1e6);
            }
            warm.add(Harness.median(warmOnes));
        }
        String after = ember.client.metrics();
        double load = Overhead.meanMs(before, after, "ember_model_load_duration_seconds", Map.of("function", "embed"));
        double loadPhase = Overhead.meanMs(before, after, "ember_invocation_phase_seconds",
                Map.of("function", "embed", "phase", "load"));
        Harness.log("cold start: first responses %s ms, warm medians %s ms, server load mean %.1f ms", cold, warm,
                load);
        return new Cycles(cold, warm, load, loadPhase);
    }

    static Report.Section section(Cycles cycles, Bare bare) {
        double cold = Harness.median(cycles.coldMs());
        double warm = Harness.median(cycles.warmMs());
        double create = Harness.median(bare.createMs());
        double createAndRun = Harness.median(bare.createAndFirstRunMs());
        double ratio = cold / create;
        List<Report.Row> rows = List.of(
                Report.Row.compared("unloaded model's first response vs bare session creation", Report.ms(cold),
                        Report.ms(create), ratio).atMost("<= 1.50x", ratio, 1.5),
                Report.Row.compared("unloaded model's first response vs raw create + first run", Report.ms(cold),
                        Report.ms(createAndRun), cold / createAndRun),
                Report.Row.compared("warm response vs unloaded model's first response", Report.ms(warm),
                        Report.ms(cold), warm / cold));
        List<String> notes = new ArrayList<>();
        notes.add("First responses after an unload (ms): " + Report.wholes(cycles.coldMs())
                + "; bare `createSession` (ms): " + Report.wholes(bare.createMs()) + "; bare create + first run (ms): "
                + Report.wholes(bare.createAndFirstRunMs()) + ".");
        notes.add(String.format(Locale.ROOT, "Where a cold start's time goes: Ember's own load (read + SHA-256 check + "
                + "session creation, `ember_model_load_duration_seconds`) averaged %s, and the request waited %s for "
                + "it (`phase=\"load\"`). In this JVM, reading the model (90 MB) from the artifact jar took %s and "
                + "its SHA-256 %s (medians).", Report.ms(cycles.serverLoadMeanMs()), Report.ms(cycles.loadPhaseMeanMs()),
                Report.ms(Harness.median(bare.readMs())), Report.ms(Harness.median(bare.sha256Ms()))));
        return new Report.Section("5. Model cold start", """
                In Ember's process of scenarios 1 to 4, after them: `POST /v2/repository/models/embed/unload` (management token), \
                500 ms pause, then one `embed` request is timed (the model is read from the classpath, its SHA-256 \
                pin checked, the session created, the request run), then 20 warm requests (their median); 5 cycles, \
                medians reported. Bare session creation is `OrtEnvironment.createSession` of the same bytes, already \
                in memory, with Ember's default options, in the benchmark's JVM (5 repetitions after one discarded); \
                "create + first run" adds the first `OrtSession.run` on the sentence's tokens.""", rows, notes);
    }
}
