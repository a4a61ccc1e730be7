package dev.ember.benchmarks;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Runs every scenario against the packaged application and rewrites BENCHMARKS.md. Started by
 * {@code benchmarks/run.sh}; arguments: {@code --app <quarkus-run.jar> --out <BENCHMARKS.md> --logs <dir>
 * --command <as typed> [--quiet-note <text>] [--quick]}.
 */
public final class Main {

    private Main() {
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> options = options(args);
        Path app = Path.of(required(options, "--app"));
        Path out = Path.of(required(options, "--out"));
        Path logs = Path.of(options.getOrDefault("--logs", "benchmarks/target/logs"));
        boolean quick = options.containsKey("--quick");
        if (!Files.isRegularFile(app)) {
            throw new IllegalArgumentException(app + " does not exist: build with mvn -B -DskipTests install");
        }
        long wallStart = System.nanoTime();
        String started = ZonedDateTime.now(ZoneOffset.UTC).format(DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm 'UTC'"));
        String loadAtStart = Host.loadAverage();
        List<String> busyAtStart = Host.busyJavaProcesses();
        Harness h = new Harness(app, logs, quick);
        Harness.log("load average %s; busy java/mvn processes: %s", loadAtStart, busyAtStart);

        byte[] model = RawEmbedder.modelBytes();
        Overhead.Raw raw = Overhead.raw(h, model);
        ColdStart.Bare bare = ColdStart.bare(h, model);

        List<Duration> starts = new ArrayList<>();
        Startup.Figures startup;
        Overhead.Http http;
        ColdStart.Cycles cycles;
        try (EmberProcess shipped = h.start("shipped", Map.of())) {
            Duration first = shipped.awaitFirstSuccess(Harness.EMBED, Harness.embedBody(Harness.SHORT_SENTENCE),
                    Harness.START_LIMIT);
            starts.add(first);
            startup = Startup.run(h, shipped, first);
            http = Overhead.http(h, shipped);
            cycles = ColdStart.cycles(h, shipped);
        }
        Batching.Figures batching = Batching.run(h);
        starts.add(batching.unbatched().firstResponse());
        starts.add(batching.batched().firstResponse());
        ManyModels.Figures many = ManyModels.run(h);

        List<Report.Section> sections = List.of(Startup.section(startup), Overhead.section(raw, http),
                Batching.section(batching), ColdStart.section(cycles, bare, starts), ManyModels.section(many));
        List<String> busyAtEnd = Host.busyJavaProcesses();
        String quiet = quietNote(options.get("--quiet-note"), busyAtStart, busyAtEnd);
        Report.Run run = new Report.Run(started, required(options, "--command"), loadAtStart, Host.loadAverage(),
                quiet, Duration.ofNanos(System.nanoTime() - wallStart).toSeconds() + " s");
        String markdown = Report.markdown(Host.machine(), run, sections);
        if (quick) {
            markdown = markdown.replaceFirst("\n\n", "\n\n**Quick smoke run** (`--quick`): a tenth of the documented "
                    + "counts and durations; these figures are not measurements.\n\n");
        }
        Report.write(out, markdown);
        System.out.println();
        System.out.print(Report.console(sections));
        System.out.println();
        Harness.log("wrote %s", out.toAbsolutePath());
    }

    private static String quietNote(String note, List<String> busyAtStart, List<String> busyAtEnd) {
        StringBuilder quiet = new StringBuilder();
        if (note != null && !note.isBlank()) {
            quiet.append(note.strip()).append("; ");
        }
        quiet.append(busyAtStart.isEmpty() ? "no other java/mvn process above 20% CPU at the start"
                : "NOT quiet: busy at the start: " + String.join("; ", busyAtStart));
        quiet.append(busyAtEnd.isEmpty() ? ", none at the end" : "; busy at the end: " + String.join("; ", busyAtEnd));
        return quiet.toString();
    }

    private static Map<String, String> options(String[] args) {
        Map<String, String> options = new HashMap<>();
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("--quick")) {
                options.put("--quick", "true");
            } else if (args[i].startsWith("--") && i + 1 < args.length) {
                options.put(args[i], args[++i]);
            } else {
                throw new IllegalArgumentException("unexpected argument " + args[i]);
            }
        }
        return options;
    }

    private static String required(Map<String, String> options, String name) {
        String value = options.get(name);
        if (value == null) {
            throw new IllegalArgumentException(name + " is required");
        }
        return value;
    }
}
