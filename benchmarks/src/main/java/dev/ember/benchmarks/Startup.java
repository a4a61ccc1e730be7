package dev.ember.benchmarks;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Scenario 0: process start to the first {@code embed} response for Ember as packaged, Ember with the JDK 25 AOT
 * cache and the DIY endpoint; resident memory of Ember and the DIY endpoint with {@code embed} warm.
 */
final class Startup {

    /** Process start to first response of each start, in ms; {@code notRun} says why there are none. */
    record Starts(List<Double> ms, String notRun) {
        double median() {
            return Harness.median(ms);
        }
    }

    /** Resident memory (KiB) of one side: with {@code embed} warm, and after the 32-client scenarios (-1: not run). */
    record Memory(long warmKiB, long loadedKiB) {
    }

    record Figures(Starts ember, Starts aot, Starts diy, Memory emberRss, Memory diyRss, String aotCommand,
            String aotDir) {
    }

    @FunctionalInterface
    interface Starter {
        EmberProcess start(String name) throws IOException;
    }

    private Startup() {
    }

    /** {@code first}, the start of the process the other scenarios use, and {@link Harness#starts()} - 1 more. */
    static Starts again(Harness h, String name, String path, Duration first, Starter starter) throws Exception {
        List<Double> ms = new ArrayList<>();
        ms.add(first.toNanos() / 1e6);
        for (int i = 1; i < h.starts(); i++) {
            ms.add(once(h, name + "-start-" + i, path, starter));
        }
        Harness.log("%s: process start to first response %s ms", name, ms);
        return new Starts(ms, null);
    }

    /** Every start with the AOT cache, or why there are none: no command, or the first start that failed. */
    static Starts aot(Harness h) throws Exception {
        if (h.aotCommand.isEmpty()) {
            return new Starts(List.of(), h.aotAbsent);
        }
        List<Double> ms = new ArrayList<>();
        for (int i = 0; i < h.starts(); i++) {
            String name = "aot-start-" + i;
            try {
                ms.add(once(h, name, Harness.EMBED, n -> h.startAot(n)));
            } catch (IOException e) {
                Harness.log("the AOT start failed: %s", e.getMessage());
                String first = e.getMessage() == null ? e.toString() : e.getMessage().lines().findFirst().orElse("");
                return new Starts(List.of(), "the start failed (" + first + "); see " + h.logs.resolve(name + ".log"));
            }
        }
        Harness.log("AOT cache: process start to first response %s ms", ms);
        return new Starts(ms, null);
    }

    private static double once(Harness h, String name, String path, Starter starter) throws Exception {
        try (EmberProcess process = starter.start(name)) {
            return process.awaitFirstSuccess(path, Harness.embedBody(Harness.SHORT_SENTENCE), Harness.START_LIMIT)
                    .toNanos() / 1e6;
        }
    }

    static Report.Section section(Figures f) {
        double plain = f.ember().median();
        double diy = f.diy().median();
        List<Report.Row> rows = new ArrayList<>();
        rows.add(Report.Row.compared("process start to first response, plain JVM, vs DIY (median of "
                + f.ember().ms().size() + ")", Report.ms(plain), Report.ms(diy), plain / diy)
                .atMost("<= 1.00x", plain / diy, 1.0));
        String aotMeasure = "process start to first `embed` response with the JDK 25 AOT cache, vs plain";
        if (f.aot().notRun() != null) {
            rows.add(Report.Row.notRun(aotMeasure, f.aot().notRun(), "<= 1000 ms"));
        } else {
            double aot = f.aot().median();
            rows.add(Report.Row.compared(aotMeasure + " (median of " + f.aot().ms().size() + ")", Report.ms(aot),
                    Report.ms(plain), aot / plain).atMost("<= 1000 ms", aot, 1000));
        }
        long emberWarm = f.emberRss().warmKiB();
        rows.add(Report.Row.compared("resident memory with `embed` warm, vs DIY", Report.mib(emberWarm),
                Report.mib(f.diyRss().warmKiB()), (double) emberWarm / f.diyRss().warmKiB())
                .atMost("<= 400 MiB", emberWarm / 1024.0, 400));
        if (f.emberRss().loadedKiB() >= 0) {
            rows.add(Report.Row.compared("resident memory after the 32-client scenarios, vs DIY",
                    Report.mib(f.emberRss().loadedKiB()), Report.mib(f.diyRss().loadedKiB()),
                    (double) f.emberRss().loadedKiB() / f.diyRss().loadedKiB()));
        }
        List<String> notes = new ArrayList<>();
        notes.add("Process start to first response (ms): Ember " + Report.wholes(f.ember().ms()) + "; DIY "
                + Report.wholes(f.diy().ms())
                + (f.aot().notRun() == null ? "; Ember with the AOT cache " + Report.wholes(f.aot().ms()) : "") + ".");
        notes.add(f.aotCommand().isEmpty() ? "No AOT start command: " + f.aot().notRun() + "."
                : "The AOT start command (the harness adds its `-D` options after the java binary), run in `"
                        + f.aotDir() + "`: `" + f.aotCommand() + "`.");
        return new Report.Section("0. Start-up and memory", """
                Each process is started as the README starts it (`java -jar .../quarkus-app/quarkus-run.jar` on \
                the JDK that runs the benchmark, no JVM options; only `-Dquarkus.http.host=127.0.0.1`, a free port \
                and, for Ember, a management token are added; `--set` options go to Ember only). From the moment the \
                process is spawned, `{"input": "A man is playing a guitar."}` is posted every 5 ms (Ember's \
                `/functions/embed`, the DIY endpoint's `/embed`) until it answers 200: that time includes the JVM \
                and Quarkus start, native library loading and creating the model's session on demand. The first \
                start of each is the process the later scenarios use, then two more fresh processes each; with the \
                AOT cache, three fresh processes of its start command (`run.sh --aot-command`, or detected: a JDK 25 \
                java and an `app.aot` beside a `quarkus-run.jar` under `functions/target`, run in that directory \
                with `-XX:AOTMode=on` so that an unusable cache fails instead of being silently ignored). Resident memory \
                is VmRSS from `/proc/<pid>/status`, with `embed` warm right after scenario 1's requests, and again \
                after scenarios 2 to 4.""", rows, notes);
    }
}
