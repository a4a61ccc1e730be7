package dev.ember.benchmarks;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** The generation scenario's steps, in order, and the figures they give. */
final class GenerationRun {

    /** How long and how big: the documented run, or a smoke run of the harness. */
    enum Scale {
        FULL(TextGeneration.Shape.GPT2_SMALL, 128, 5, 20, 40, 30),
        QUICK(TextGeneration.Shape.QUICK, 32, 2, 4, 6, 6);

        final TextGeneration.Shape shape;
        final int maxTokens;
        final int singleRepeats;
        final Duration window4;
        final Duration window16;
        final Duration windowOneAtATime;

        Scale(TextGeneration.Shape shape, int maxTokens, int singleRepeats, int window4, int window16, int windowOne) {
            this.shape = shape;
            this.maxTokens = maxTokens;
            this.singleRepeats = singleRepeats;
            this.window4 = Duration.ofSeconds(window4);
            this.window16 = Duration.ofSeconds(window16);
            this.windowOneAtATime = Duration.ofSeconds(windowOne);
        }
    }

    /** A second-level view of one Ember process's windows. */
    record Figures(Scale scale, long modelBytes, TextGeneration.Raw raw, Duration firstResponse,
            List<StreamRecord> single, String singleBefore, String singleAfter, ClosedStreams.Window four,
            ClosedStreams.Window sixteen, Duration firstResponseOne, ClosedStreams.Window oneAtATime,
            List<String> busy) {

        Samples singleTtft() {
            return new Samples(single.stream().map(StreamRecord::ttftMillis).toList());
        }

        double singleTokensPerSecond() {
            return new Samples(single.stream().map(StreamRecord::tokensPerSecond).toList()).median();
        }

        double singleDecodeTokensPerSecond() {
            return new Samples(single.stream().map(s -> (s.completionTokens() - 1)
                    / ((s.endNanos() - s.textNanos()[0]) / 1e9)).toList()).median();
        }

        Samples singleGaps() {
            List<Double> gaps = new ArrayList<>();
            single.forEach(s -> gaps.addAll(s.gapsMillis(Long.MIN_VALUE, Long.MAX_VALUE)));
            return new Samples(gaps);
        }

        List<Report.Row> rows() {
            return GenerationReport.rows(this);
        }
    }

    private GenerationRun() {
    }

    static Figures run(Harness h, Path modelDir, Scale scale) throws Exception {
        Path dir = TextGeneration.model(modelDir, scale.shape);
        long modelBytes = Files.size(dir.resolve("model.onnx"));
        List<String> busy = new ArrayList<>();

        String prompt;
        TextGeneration.Raw raw;
        Duration first;
        List<StreamRecord> single = new ArrayList<>();
        String singleBefore;
        String singleAfter;
        ClosedStreams.Window four;
        ClosedStreams.Window sixteen;
        long rampLimit = Duration.ofMinutes(10).toNanos();
        RawGreedyLoop loop = new RawGreedyLoop(dir, h.extra());
        boolean loopOpen = true;
        try {
            TextGeneration.Choice choice = TextGeneration.choose(loop, dir, scale.maxTokens);
            prompt = choice.prompt();
            try (EmberProcess ember = h.start("generate-batched", TextGeneration.properties(dir, Map.of()))) {
                first = TextGeneration.awaitFirst(ember, prompt);
                Harness.log("Ember answered its first completion %d ms after it was started", first.toMillis());
                SseClient client = new SseClient(ember.port(), Clock.SYSTEM, (int) Duration.ofMinutes(10).toMillis());
                TextGeneration.sequential(client, prompt, Math.min(16, scale.maxTokens), 2);
                // the raw loop and Ember's single streams alternate (and swap which goes first), so that a change
                // in the machine's load during the run falls on both alike
                List<RawGreedyLoop.Run> runs = new ArrayList<>();
                singleBefore = ember.client.metrics();
                for (int i = 0; i < scale.singleRepeats; i++) {
                    if (i % 2 == 0) {
                        runs.add(TextGeneration.rawRun(loop, choice, scale.maxTokens));
                        single.add(TextGeneration.single(client, prompt, scale.maxTokens));
                    } else {
                        single.add(TextGeneration.single(client, prompt, scale.maxTokens));
                        runs.add(TextGeneration.rawRun(loop, choice, scale.maxTokens));
                    }
                }
                singleAfter = ember.client.metrics();
                // the model's own cost of one decode step, without a scheduler: one row over the mean past of a
                // stream, 16 rows over the longest (a running batch is left-padded to its longest row)
                int promptLength = choice.ids().length;
                double step1 = loop.stepMillis(1, promptLength + scale.maxTokens / 2, 8);
                double step16 = loop.stepMillis(16, promptLength + scale.maxTokens, 8);
                Harness.log("raw decode step: %.1f ms for 1 row, %.1f ms for 16 rows", step1, step16);
                raw = new TextGeneration.Raw(prompt, choice.ids(), choice.text(), loop.intraOpThreads(), runs,
                        choice.skipped(), step1, step16);
                loopOpen = false;
                loop.close();
                Harness.log("raw loop (%d intra-op threads): %.1f tokens/s; Ember %.1f tokens/s",
                        raw.intraOpThreads(), raw.tokensPerSecond(),
                        new Samples(single.stream().map(StreamRecord::tokensPerSecond).toList()).median());
                busyNote(busy, "the single streams and raw runs");
                four = window(ember, client, prompt, 4, scale.maxTokens, scale.window4, rampLimit);
                sixteen = window(ember, client, prompt, 16, scale.maxTokens, scale.window16, rampLimit);
            }
        } finally {
            if (loopOpen) {
                loop.close();
            }
        }
        busyNote(busy, "Ember's batched runs");
        Duration firstOne;
        ClosedStreams.Window one;
        try (EmberProcess ember = h.start("generate-one-at-a-time", TextGeneration.properties(dir,
                Map.of("ember.functions." + TextGeneration.FUNCTION + ".generate.max-running", "1")))) {
            firstOne = TextGeneration.awaitFirst(ember, prompt);
            SseClient client = new SseClient(ember.port(), Clock.SYSTEM, (int) Duration.ofMinutes(10).toMillis());
            TextGeneration.sequential(client, prompt, Math.min(16, scale.maxTokens), 1);
            one = window(ember, client, prompt, 16, scale.maxTokens, scale.windowOneAtATime, rampLimit);
        }
        busyNote(busy, "Ember's one-at-a-time run");
        return new Figures(scale, modelBytes, raw, first, single, singleBefore, singleAfter, four, sixteen, firstOne,
                one, busy);
    }

    private static ClosedStreams.Window window(EmberProcess ember, SseClient client, String prompt, int clients,
            int maxTokens, Duration window, long rampLimit) throws Exception {
        ClosedStreams.Window w = ClosedStreams.run(clients, maxTokens, window.toNanos(), rampLimit,
                (tokens, register) -> client.stream(TextGeneration.COMPLETIONS,
                        TextGeneration.body(prompt, tokens, true), register),
                ember.client::metrics, Clock.SYSTEM);
        Samples ttft = w.ttft();
        Harness.log("%d streams: %.1f tokens/s over %.0f s; TTFT p50 %.1f ms, p99 %.1f ms (%d, %d still waiting); "
                + "gap p50 %.1f ms, p99 %.1f ms; %d failed", clients, w.tokensPerSecond(), w.seconds(),
                ttft.percentile(50), ttft.percentile(99), ttft.count(), w.waitingAtEnd(), w.gaps().percentile(50),
                w.gaps().percentile(99), w.failed().size());
        awaitIdle(ember);
        return w;
    }

    /**
     * Waits (at most a minute) until the function runs and queues no sequence, so that the cancelled streams of one
     * window cannot slow the next; without the gauge (an older build) it returns at once.
     */
    private static void awaitIdle(EmberProcess ember) throws Exception {
        long deadline = System.nanoTime() + Duration.ofMinutes(1).toNanos();
        Map<String, String> labels = Map.of("function", TextGeneration.FUNCTION);
        while (System.nanoTime() < deadline) {
            String m = ember.client.metrics();
            if (!m.contains("ember_generate_sequences_running")) {
                return;
            }
            if (Prometheus.sum(m, "ember_generate_sequences_running", labels) == 0
                    && Prometheus.sum(m, "ember_generate_sequences_waiting", labels) == 0) {
                return;
            }
            Thread.sleep(100);
        }
        Harness.log("the function still ran sequences a minute after the window closed");
    }

    private static void busyNote(List<String> notes, String what) {
        List<String> busy = Host.busyJavaProcesses();
        if (!busy.isEmpty()) {
            notes.add(String.format(Locale.ROOT, "**Not quiet**: when %s ended, other busy processes were running: %s.",
                    what, String.join("; ", busy)));
        }
    }
}
