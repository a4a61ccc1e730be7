package dev.ember.benchmarks;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/** Scenario 6: 32 concurrent clients on {@code embed}, batching as shipped vs {@code batch.max-size=1}. */
final class Batching {

    static final int CLIENTS = 32;

    record Run(String name, Duration firstResponse, LoadResult closed, double openRate, LoadResult open,
            double meanBatchRows, double meanRunMs, double meanQueueMs) {
    }

    record Figures(Run batched, Run unbatched) {
    }

    private Batching() {
    }

    static Figures run(Harness h) throws Exception {
        // unbatched first: its capacity sets the open-loop rate both configurations are offered
        Run unbatched = one(h, "unbatched", Map.of("ember.functions.embed.batch.max-size", "1"), 0);
        Run batched = one(h, "batched", Map.of(), unbatched.openRate());
        return new Figures(batched, unbatched);
    }

    /** A closed loop, then an open loop at {@code openRate} (or, when 0, at 80% of the closed loop's throughput). */
    private static Run one(Harness h, String name, Map<String, String> properties, double openRate) throws Exception {
        try (EmberProcess ember = h.start(name, properties)) {
            Duration first = ember.awaitFirstSuccess(Harness.EMBED, Harness.embedBody(Harness.SHORT_SENTENCE),
                    Harness.START_LIMIT);
            LoadGenerator.Call call = Concurrency.cycling(ember, Harness.EMBED,
                    Harness.MIXED_TEXTS.stream().map(Harness::embedBody).toList());
            h.load.closedLoop(CLIENTS, LoadGenerator.Bounds.time(h.time(Duration.ofSeconds(5))), call);
            String before = ember.client.metrics();
            LoadResult closed = h.load.closedLoop(CLIENTS, LoadGenerator.Bounds.time(h.time(Duration.ofSeconds(20))),
                    call);
            String after = ember.client.metrics();
            Map<String, String> embed = Map.of("function", "embed");
            double rows = Overhead.meanMs(before, after, "ember_batch_size_rows", embed) / 1000;
            double run = Overhead.meanMs(before, after, "ember_inference_duration_seconds", embed);
            double queue = Overhead.meanMs(before, after, "ember_queue_wait_seconds", embed);
            Harness.log("%s closed loop: %.1f/s, p50 %.2f ms, p99 %.2f ms, mean batch %.2f rows; %s", name,
                    closed.throughput(), closed.percentileMillis(50), closed.percentileMillis(99), rows,
                    closed.statusLine());
            double rate = openRate > 0 ? openRate : LoadGenerator.rateAtShare(closed.throughput(), 0.8);
            return new Run(name, first, closed, rate, openLoop(h, ember, name, rate), rows, run, queue);
        }
    }

    private static LoadResult openLoop(Harness h, EmberProcess ember, String name, double rate) throws Exception {
        List<byte[]> bodies = Harness.MIXED_TEXTS.stream().map(Harness::embedBody).toList();
        AtomicLong n = new AtomicLong();
        LoadResult open = h.load.openLoop(rate, LoadGenerator.Bounds.time(h.time(Duration.ofSeconds(15))), 1024,
                () -> ember.client.postAsync(Harness.EMBED, bodies.get((int) (n.getAndIncrement() % bodies.size()))));
        Harness.log("%s open loop at %.0f/s: p50 %.2f ms, p99 %.2f ms; %s", name, rate, open.percentileMillis(50),
                open.percentileMillis(99), open.statusLine());
        return open;
    }

    static Report.Section section(Figures f) {
        LoadResult on = f.batched().closed();
        LoadResult off = f.unbatched().closed();
        double throughput = on.throughput() / off.throughput();
        double p99 = on.percentileMillis(99) / off.percentileMillis(99);
        List<Report.Row> rows = new ArrayList<>();
        rows.add(Report.Row.compared("throughput, batching on vs `batch.max-size=1`", Report.perSecond(on.throughput()),
                Report.perSecond(off.throughput()), throughput));
        rows.add(Report.Row.compared("p99 latency (closed loop)", Report.ms(on.percentileMillis(99)),
                Report.ms(off.percentileMillis(99)), p99));
        rows.add(Report.Row.compared("p50 latency (closed loop)", Report.ms(on.percentileMillis(50)),
                Report.ms(off.percentileMillis(50)), on.percentileMillis(50) / off.percentileMillis(50)));
        rows.add(Report.Row.compared("mean rows per model run", String.format(Locale.ROOT, "%.1f", f.batched().meanBatchRows()),
                String.format(Locale.ROOT, "%.1f", f.unbatched().meanBatchRows()), Double.NaN));
        LoadResult oOn = f.batched().open();
        LoadResult oOff = f.unbatched().open();
        String at = String.format(Locale.ROOT, " (open loop, %.0f/s)", f.unbatched().openRate());
        rows.add(Report.Row.compared("p50" + at, Report.ms(oOn.percentileMillis(50)), Report.ms(oOff.percentileMillis(50)),
                oOn.percentileMillis(50) / oOff.percentileMillis(50)));
        rows.add(Report.Row.compared("p99" + at, Report.ms(oOn.percentileMillis(99)), Report.ms(oOff.percentileMillis(99)),
                oOn.percentileMillis(99) / oOff.percentileMillis(99)));
        List<String> notes = new ArrayList<>();
        for (Run r : List.of(f.batched(), f.unbatched())) {
            notes.add(String.format(Locale.ROOT, "%s, closed loop (server side, `/q/metrics`): %.1f rows per model run, "
                    + "%s per run (%s per row), %s mean queue wait.", r.name(), r.meanBatchRows(), Report.ms(r.meanRunMs()),
                    Report.ms(r.meanRunMs() / r.meanBatchRows()), Report.ms(r.meanQueueMs())));
            notes.add(r.name() + ", closed loop: " + r.closed().statusLine() + "; open loop: "
                    + r.open().statusLine() + ".");
        }
        notes.add("The 32 clients run in the benchmark's JVM on the same CPUs as Ember, so they take a share of "
                + "the CPU time in both configurations.");
        return new Report.Section("6. Ember's batching on and off", """
                32 clients in a closed loop (each sends its next request when the previous one is answered), cycling \
                through 8 texts of 4 to 37 tokens (mean 15), 5 s warm-up then 20 s measured; one fresh process with batching \
                as shipped (this build's defaults) and one with `-Dember.functions.embed.batch.max-size=1`: Ember \
                against itself, no DIY endpoint and no target, for tuning the scheduler. Throughput counts 200 answers per second. Then an open \
                loop offers both configurations the same fixed rate, 80% of the unbatched closed-loop throughput, \
                for 15 s in the same process right after its closed loop, with latency measured from each request's \
                scheduled send time (so a stall is not hidden by sending less: no coordinated omission). Mean rows \
                per model run, model run time and queue wait are from `ember_batch_size_rows`, `ember_inference_duration_seconds` and \
                `ember_queue_wait_seconds`.""", rows, notes);
    }
}
