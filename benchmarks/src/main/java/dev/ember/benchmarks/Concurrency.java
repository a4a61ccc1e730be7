package dev.ember.benchmarks;

import java.time.Duration;
import java.util.ArrayList;
import java.util.IntSummaryStatistics;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Scenarios 2 to 4, each Ember against the DIY endpoint in the same run: 32 clients on one text, 32 clients on the
 * wide length mix, and an open loop on the mix at 80% of the DIY endpoint's capacity measured in scenario 3.
 */
final class Concurrency {

    static final int CLIENTS = 32;
    static final double OPEN_SHARE = 0.8;

    /** A closed loop's figures, and for Ember what the server saw in it ("" for the DIY endpoint). */
    record Closed(LoadResult result, String server) {
    }

    /** One side's figures; a member is null where its scenario was not run. */
    record Side(Closed oneText, Closed mix, double openRate, LoadResult open) {
    }

    private Concurrency() {
    }

    /**
     * The closed loops (one text, the mix) and the open loop that were asked for, on one process; the open loop at
     * {@code openRate}, or when that is 0 at {@link #OPEN_SHARE} of this side's own throughput on the mix.
     */
    static Side run(Harness h, EmberProcess process, String path, boolean ember, boolean oneText, boolean mix,
            boolean open, double openRate) throws Exception {
        List<byte[]> mixBodies = LengthMix.standard().stream().map(Harness::embedBody).toList();
        Closed one = oneText ? closed(h, process, path, List.of(Harness.embedBody(Harness.SHORT_SENTENCE)), ember,
                "one text") : null;
        Closed mixed = mix || open ? closed(h, process, path, mixBodies, ember, "length mix") : null;
        double rate = !open ? 0 : openRate > 0 ? openRate
                : LoadGenerator.rateAtShare(mixed.result().throughput(), OPEN_SHARE);
        LoadResult opened = null;
        if (open) {
            AtomicLong n = new AtomicLong();
            opened = h.load.openLoop(rate, LoadGenerator.Bounds.time(h.time(Duration.ofSeconds(15))), 1024,
                    () -> process.client.postAsync(path, mixBodies.get((int) (n.getAndIncrement() % mixBodies.size()))));
            Harness.log("%s open loop at %.0f/s: p50 %.2f ms, p99 %.2f ms; %s", path, rate, opened.percentileMillis(50),
                    opened.percentileMillis(99), opened.statusLine());
        }
        return new Side(one, mix ? mixed : null, rate, opened);
    }

    /** 5 s warm-up, then 20 s measured, {@link #CLIENTS} clients cycling through {@code bodies}. */
    private static Closed closed(Harness h, EmberProcess process, String path, List<byte[]> bodies, boolean ember,
            String what) throws Exception {
        LoadGenerator.Call call = cycling(process, path, bodies);
        h.load.closedLoop(CLIENTS, LoadGenerator.Bounds.time(h.time(Duration.ofSeconds(5))), call);
        String before = ember ? process.client.metrics() : "";
        LoadResult result = h.load.closedLoop(CLIENTS, LoadGenerator.Bounds.time(h.time(Duration.ofSeconds(20))),
                call);
        String server = ember ? serverNote(before, process.client.metrics()) : "";
        Harness.log("%s, %d clients, %s: %.1f/s, p50 %.2f ms, p99 %.2f ms; %s %s", path, CLIENTS, what,
                result.throughput(), result.percentileMillis(50), result.percentileMillis(99), result.statusLine(),
                server);
        return new Closed(result, server);
    }

    /** Each request the next of {@code bodies}, shared by all clients, so every run offers the same mix. */
    static LoadGenerator.Call cycling(EmberProcess process, String path, List<byte[]> bodies) {
        AtomicLong n = new AtomicLong();
        return () -> process.client.post(path, bodies.get((int) (n.getAndIncrement() % bodies.size())));
    }

    /** Rows per model run, run time and queue wait, and the means of any padding meters Ember exports. */
    static String serverNote(String before, String after) {
        Map<String, String> embed = Map.of("function", "embed");
        double rows = Overhead.meanMs(before, after, "ember_batch_size_rows", embed) / 1000;
        double run = Overhead.meanMs(before, after, "ember_inference_duration_seconds", embed);
        StringBuilder note = new StringBuilder(String.format(Locale.ROOT, "%.1f rows per model run, %s per run, "
                + "%s mean queue wait", rows, Report.ms(run),
                Report.ms(Overhead.meanMs(before, after, "ember_queue_wait_seconds", embed))));
        for (String meter : paddingMeters(after)) {
            note.append(String.format(Locale.ROOT, ", `%s` mean %.3f", meter,
                    Overhead.meanMs(before, after, meter, embed) / 1000));
        }
        return note.toString();
    }

    /** Names of the {@code ember_*pad*} summaries or histograms in an exposition (their {@code _sum} series). */
    static List<String> paddingMeters(String exposition) {
        TreeSet<String> names = new TreeSet<>();
        for (String line : exposition.split("\n")) {
            int end = line.indexOf('{') > 0 ? line.indexOf('{') : line.indexOf(' ');
            String name = end > 0 ? line.substring(0, end) : "";
            if (name.startsWith("ember_") && name.contains("pad") && name.endsWith("_sum")) {
                names.add(name.substring(0, name.length() - "_sum".length()));
            }
        }
        return List.copyOf(names);
    }

    static Report.Section oneText(Side ember, Side diy) {
        return closedSection("2. 32 clients, one text", ember.oneText(), diy.oneText(), false, String.format(
                Locale.ROOT, """
                %d clients in a closed loop (each sends its next request when the previous one is answered), all \
                with the one short sentence of scenario 1, 5 s warm-up then 20 s measured; Ember's \
                `/functions/embed` in its process as shipped, then the same against the DIY endpoint's `/embed` \
                in its own. Throughput counts 200 answers per second.""", CLIENTS));
    }

    static Report.Section mix(Side ember, Side diy) {
        List<String> texts = LengthMix.standard();
        IntSummaryStatistics tokens = RawEmbedder.tokenize(texts).stream().mapToInt(t -> t.ids().length)
                .summaryStatistics();
        return closedSection("3. 32 clients, a wide mix of lengths", ember.mix(), diy.mix(), true, String.format(
                Locale.ROOT, """
                As scenario 2, but the clients cycle through %d generated texts (`LengthMix`, seed %d: word counts \
                stepping evenly from %d to %d in a seeded order, common one-token words) of %d to %d tokens, mean \
                %.0f, as the model's tokenizer counts them, so batches of mixed lengths pad as real traffic does; \
                one shared cursor over the texts, so both servers are offered the same mix.""",
                texts.size(), LengthMix.SEED, LengthMix.MIN_WORDS, LengthMix.MAX_WORDS, tokens.getMin(),
                tokens.getMax(), tokens.getAverage()));
    }

    private static Report.Section closedSection(String title, Closed ember, Closed diy, boolean p99Target,
            String method) {
        LoadResult e = ember.result();
        LoadResult d = diy.result();
        double throughput = e.throughput() / d.throughput();
        double p99 = e.percentileMillis(99) / d.percentileMillis(99);
        List<Report.Row> rows = new ArrayList<>();
        rows.add(Report.Row.compared("throughput vs DIY", Report.perSecond(e.throughput()),
                Report.perSecond(d.throughput()), throughput).atLeast(">= 1.50x", throughput, 1.5));
        Report.Row p99Row = Report.Row.compared("p99 latency vs DIY", Report.ms(e.percentileMillis(99)),
                Report.ms(d.percentileMillis(99)), p99);
        rows.add(p99Target ? p99Row.atMost("<= 1.00x", p99, 1.0) : p99Row);
        rows.add(Report.Row.compared("p50 latency vs DIY", Report.ms(e.percentileMillis(50)),
                Report.ms(d.percentileMillis(50)), e.percentileMillis(50) / d.percentileMillis(50)));
        List<String> notes = new ArrayList<>();
        notes.add("Ember, server side (`/q/metrics` over the measured run): " + ember.server() + ".");
        notes.add("Requests: Ember " + e.statusLine() + "; DIY " + d.statusLine() + ".");
        notes.add("The " + CLIENTS + " clients run in the benchmark's JVM on the same CPUs as the server, so they "
                + "take a share of the CPU time on both sides.");
        return new Report.Section(title, method, rows, notes);
    }

    static Report.Section open(Side ember, Side diy) {
        LoadResult e = ember.open();
        LoadResult d = diy.open();
        double p99 = e.percentileMillis(99) / d.percentileMillis(99);
        List<Report.Row> rows = List.of(
                Report.Row.compared("p99 latency vs DIY", Report.ms(e.percentileMillis(99)),
                        Report.ms(d.percentileMillis(99)), p99).atMost("<= 1.00x", p99, 1.0),
                Report.Row.compared("p50 latency vs DIY", Report.ms(e.percentileMillis(50)),
                        Report.ms(d.percentileMillis(50)), e.percentileMillis(50) / d.percentileMillis(50)),
                Report.Row.compared("answered per second vs DIY", Report.perSecond(e.throughput()),
                        Report.perSecond(d.throughput()), e.throughput() / d.throughput()));
        List<String> notes = List.of("Requests: Ember " + e.statusLine() + "; DIY " + d.statusLine() + ".");
        return new Report.Section("4. Open loop at 80% of the DIY endpoint's capacity", String.format(Locale.ROOT, """
                Requests of the length mix of scenario 3 are due at a fixed %.0f/s, %.0f%% of the DIY endpoint's \
                throughput in scenario 3 (same run), whatever the answers do, for 15 s, right after each side's \
                closed loops in the same process; latency is measured from each request's scheduled send time, so \
                a stall shows in the percentiles instead of lowering the offered load (no coordinated omission). \
                A request due while 1,024 are unanswered is not sent and counted as such.""",
                ember.openRate(), OPEN_SHARE * 100), rows, notes);
    }
}
