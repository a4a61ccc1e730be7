package dev.ember.benchmarks;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Runs every scenario against the packaged application and rewrites BENCHMARKS.md. Started by
 * {@code benchmarks/run.sh}; arguments: {@code --app <quarkus-run.jar> --out <BENCHMARKS.md> --logs <dir>
 * --command <as typed> [--quiet-note <text>] [--quick] [--only <scenario digits>] [--set k=v,...]}.
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
        String only = options.getOrDefault("--only", "01234");
        Map<String, String> extra = properties(options.getOrDefault("--set", ""));
        if (!Files.isRegularFile(app)) {
            throw new IllegalArgumentException(app + " does not exist: build with mvn -B -DskipTests install");
        }
        long wallStart = System.nanoTime();
        String started = ZonedDateTime.now(ZoneOffset.UTC).format(DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm 'UTC'"));
        String loadAtStart = Host.loadAverage();
        List<String> busyAtStart = Host.busyJavaProcesses();
        Harness h = new Harness(app, logs, quick, extra);
        Harness.log("load average %s; busy java/mvn processes: %s", loadAtStart, busyAtStart);

        List<Report.Section> sections = run(h, only);
        List<String> busyAtEnd = Host.busyJavaProcesses();
        String quiet = quietNote(options.get("--quiet-note"), busyAtStart, busyAtEnd);
        Report.Run run = new Report.Run(started, required(options, "--command"), loadAtStart, Host.loadAverage(),
                quiet, Duration.ofNanos(System.nanoTime() - wallStart).toSeconds() + " s");
        String markdown = Report.markdown(Host.machine(), run, sections);
        if (quick) {
            markdown = markdown.replaceFirst("\n\n", "\n\n**Quick smoke run** (`--quick`): a tenth of the documented "
                    + "counts and durations; these figures are not measurements.\n\n");
        }
        if (!extra.isEmpty()) {
            markdown = markdown.replaceFirst("\n\n", "\n\n**Experiment**: every Ember process ran with " + extra
                    + " added.\n\n");
        }
        Report.write(out, markdown);
        System.out.println();
        System.out.print(Report.console(sections));
        System.out.println();
        Harness.log("wrote %s", out.toAbsolutePath());
    }

    /** The scenarios whose number is in {@code only}, in report order; 0, 1 and 3 share one Ember process. */
    private static List<Report.Section> run(Harness h, String only) throws Exception {
        byte[] model = RawEmbedder.modelBytes();
        Overhead.Raw raw = only.contains("1") ? Overhead.raw(h, model) : null;
        ColdStart.Bare bare = only.contains("3") ? ColdStart.bare(h, model) : null;

        String busyRaw = busyNote();

        List<Duration> starts = new ArrayList<>();
        Startup.Figures startup = null;
        Overhead.Http http = null;
        ColdStart.Cycles cycles = null;
        String busyShipped = null;
        if (only.contains("0") || only.contains("1") || only.contains("3")) {
            try (EmberProcess shipped = h.start("shipped", Map.of())) {
                Duration first = shipped.awaitFirstSuccess(Harness.EMBED, Harness.embedBody(Harness.SHORT_SENTENCE),
                        Harness.START_LIMIT);
                starts.add(first);
                startup = only.contains("0") ? Startup.run(h, shipped, first) : null;
                http = only.contains("1") ? Overhead.http(h, shipped) : null;
                cycles = only.contains("3") ? ColdStart.cycles(h, shipped) : null;
            }
            busyShipped = busyNote();
        }
        Batching.Figures batching = null;
        String busyBatching = null;
        if (only.contains("2")) {
            batching = Batching.run(h);
            starts.add(batching.unbatched().firstResponse());
            starts.add(batching.batched().firstResponse());
            busyBatching = busyNote();
        }
        ManyModels.Figures many = only.contains("4") ? ManyModels.run(h) : null;
        String busyMany = many != null ? busyNote() : null;

        List<Report.Section> sections = new ArrayList<>();
        if (startup != null) {
            sections.add(withNote(Startup.section(startup), busyShipped));
        }
        if (http != null) {
            sections.add(withNote(withNote(Overhead.section(raw, http), busyRaw), busyShipped));
        }
        if (batching != null) {
            sections.add(withNote(Batching.section(batching), busyBatching));
        }
        if (cycles != null) {
            sections.add(withNote(withNote(ColdStart.section(cycles, bare, starts), busyRaw), busyShipped));
        }
        if (many != null) {
            sections.add(withNote(ManyModels.section(many), busyMany));
        }
        return sections;
    }

    /** Null on a quiet machine, else a note naming the other busy processes seen when a scenario ended. */
    private static String busyNote() {
        List<String> busy = Host.busyJavaProcesses();
        return busy.isEmpty() ? null : "**Not quiet**: when this scenario ended, other busy processes were running: "
                + String.join("; ", busy) + ".";
    }

    private static Report.Section withNote(Report.Section section, String note) {
        if (note == null) {
            return section;
        }
        List<String> notes = new ArrayList<>(section.notes());
        notes.add(note);
        return new Report.Section(section.title(), section.method(), section.rows(), notes);
    }

    /** {@code k=v,k2=v2} as a map. */
    private static Map<String, String> properties(String list) {
        Map<String, String> properties = new LinkedHashMap<>();
        for (String pair : list.split(",")) {
            if (pair.isBlank()) {
                continue;
            }
            int eq = pair.indexOf('=');
            if (eq < 1) {
                throw new IllegalArgumentException("--set takes key=value pairs separated by commas, not " + pair);
            }
            properties.put(pair.substring(0, eq).strip(), pair.substring(eq + 1).strip());
        }
        return properties;
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
