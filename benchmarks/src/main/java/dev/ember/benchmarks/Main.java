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
 * Runs every scenario against the packaged application and the DIY peer and rewrites BENCHMARKS.md. Started by
 * {@code benchmarks/run.sh}; arguments: {@code --app <quarkus-run.jar> --diy-app <the peer's quarkus-run.jar>
 * --out <BENCHMARKS.md> --logs <dir> --command <as typed>
 * [--aot-command <java ... -jar ...> [--aot-dir <where it runs>] | --aot-absent <why>]
 * [--quiet-note <text>] [--quick] [--only <scenario digits>] [--set k=v,...]}.
 */
public final class Main {

    /** Every scenario: 0 start-up and memory ... 7 many models. */
    static final String ALL = "01234567";

    private Main() {
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> options = options(args);
        Path app = Path.of(required(options, "--app"));
        Path out = Path.of(required(options, "--out"));
        Path logs = Path.of(options.getOrDefault("--logs", "benchmarks/target/logs"));
        boolean quick = options.containsKey("--quick");
        String only = options.getOrDefault("--only", ALL);
        Map<String, String> extra = properties(options.getOrDefault("--set", ""));
        Path diyApp = Path.of(required(options, "--diy-app"));
        for (Path jar : List.of(app, diyApp)) {
            if (!Files.isRegularFile(jar)) {
                throw new IllegalArgumentException(jar + " does not exist: build with benchmarks/run.sh --build");
            }
        }
        String aotCommand = options.getOrDefault("--aot-command", "").strip();
        String aotAbsent = options.getOrDefault("--aot-absent", "no AOT start command was given");
        long wallStart = System.nanoTime();
        String started = ZonedDateTime.now(ZoneOffset.UTC).format(DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm 'UTC'"));
        String loadAtStart = Host.loadAverage();
        List<String> busyAtStart = Host.busyJavaProcesses();
        Harness h = new Harness(app, diyApp, aotCommand.isEmpty() ? List.of() : List.of(aotCommand.split("\\s+")),
                aotAbsent, Path.of(options.getOrDefault("--aot-dir", ".")).toAbsolutePath(), logs, quick, extra);
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
                    + " added (the DIY endpoint as packaged).\n\n");
        }
        // the generation block is benchmarks/generate.sh's: a full run keeps it
        String previous = Files.isRegularFile(out) ? Files.readString(out) : "";
        String generation = GenerationReport.blockOf(previous);
        Report.write(out, generation.isEmpty() ? markdown : GenerationReport.splice(markdown, generation));
        System.out.println();
        System.out.print(Report.console(sections));
        System.out.println();
        Harness.log("wrote %s", out.toAbsolutePath());
    }

    /** What one server (Ember or the DIY endpoint) measured in scenarios 1 to 4, and its memory. */
    private record Side(Duration firstResponse, List<Overhead.Http> oneClient, Startup.Memory rss,
            Concurrency.Side load) {
    }

    /**
     * The scenarios whose number is in {@code only}, in report order. The DIY endpoint's process runs first (its
     * capacity on the length mix sets the open loop's rate), then Ember's, in which scenarios 1 to 5 run; 4 implies 3.
     */
    private static List<Report.Section> run(Harness h, String only) throws Exception {
        boolean s0 = only.contains("0");
        boolean s1 = only.contains("1");
        boolean s2 = only.contains("2");
        boolean s4 = only.contains("4");
        boolean s3 = only.contains("3") || s4;
        boolean s5 = only.contains("5");
        boolean sides = s0 || s1 || s2 || s3;
        byte[] model = RawEmbedder.modelBytes();
        Overhead.Raw raw = s1 ? Overhead.raw(h, model) : null;
        ColdStart.Bare bare = s5 ? ColdStart.bare(h, model) : null;
        String busyRaw = busyNote("the in-process baselines");

        Side diy = null;
        if (sides) {
            try (EmberProcess peer = h.startDiy("diy")) {
                diy = side(h, peer, false, 0, only);
            }
        }
        String busyDiy = busyNote("the DIY endpoint's scenarios");
        Side ember = null;
        ColdStart.Cycles cycles = null;
        if (sides || s5) {
            try (EmberProcess shipped = h.start("shipped", Map.of())) {
                ember = side(h, shipped, true, diy == null ? 0 : diy.load().openRate(), only);
                cycles = s5 ? ColdStart.cycles(h, shipped) : null;
            }
        }
        String busyEmber = busyNote("Ember's scenarios");
        Startup.Figures startup = null;
        if (s0) {
            Startup.Starts emberStarts = Startup.again(h, "ember", Harness.EMBED, ember.firstResponse(),
                    name -> h.start(name, Map.of()));
            Startup.Starts diyStarts = Startup.again(h, "diy", Harness.DIY_EMBED, diy.firstResponse(), h::startDiy);
            Startup.Starts aot = Startup.aot(h);
            startup = new Startup.Figures(emberStarts, aot, diyStarts, ember.rss(), diy.rss(),
                    String.join(" ", h.aotCommand), h.aotDir.toString());
        }
        String busyStarts = s0 ? busyNote("the fresh starts") : null;
        Batching.Figures batching = only.contains("6") ? Batching.run(h) : null;
        String busyBatching = batching != null ? busyNote("this scenario") : null;
        ManyModels.Figures many = only.contains("7") ? ManyModels.run(h) : null;
        String busyMany = many != null ? busyNote("this scenario") : null;

        List<Report.Section> sections = new ArrayList<>();
        if (startup != null) {
            sections.add(withNotes(Startup.section(startup), busyDiy, busyEmber, busyStarts));
        }
        if (s1) {
            sections.add(withNotes(Overhead.section(raw, ember.oneClient().get(0), ember.oneClient().get(1),
                    diy.oneClient().get(0)), busyRaw, busyDiy, busyEmber));
        }
        if (s2) {
            sections.add(withNotes(Concurrency.oneText(ember.load(), diy.load()), busyDiy, busyEmber));
        }
        if (only.contains("3")) {
            sections.add(withNotes(Concurrency.mix(ember.load(), diy.load()), busyDiy, busyEmber));
        }
        if (s4) {
            sections.add(withNotes(Concurrency.open(ember.load(), diy.load()), busyDiy, busyEmber));
        }
        if (cycles != null) {
            sections.add(withNotes(ColdStart.section(cycles, bare), busyRaw, busyEmber));
        }
        if (batching != null) {
            sections.add(withNotes(Batching.section(batching), busyBatching));
        }
        if (many != null) {
            sections.add(withNotes(ManyModels.section(many), busyMany));
        }
        return sections;
    }

    /** Scenarios 1 to 4 on one server, and its resident memory with {@code embed} warm and after the load. */
    private static Side side(Harness h, EmberProcess process, boolean ember, double openRate, String only)
            throws Exception {
        String path = ember ? Harness.EMBED : Harness.DIY_EMBED;
        byte[] body = Harness.embedBody(Harness.SHORT_SENTENCE);
        Duration first = process.awaitFirstSuccess(path, body, Harness.START_LIMIT);
        List<Overhead.Http> oneClient = new ArrayList<>();
        if (only.contains("1")) {
            oneClient.add(Overhead.http(h, process, path, body, ember));
            if (ember) {
                oneClient.add(Overhead.http(h, process, Harness.OPENAI_EMBEDDINGS,
                        Harness.openAiBody(Harness.SHORT_SENTENCE), true));
            }
        } else {
            h.load.closedLoop(1, LoadGenerator.Bounds.requests(h.count(300)), () -> process.client.post(path, body));
        }
        long warm = process.rssKiB();
        boolean loaded = only.contains("2") || only.contains("3") || only.contains("4");
        Concurrency.Side load = Concurrency.run(h, process, path, ember, only.contains("2"),
                only.contains("3"), only.contains("4"), openRate);
        return new Side(first, oneClient, new Startup.Memory(warm, loaded ? process.rssKiB() : -1), load);
    }

    /** Null on a quiet machine, else a note naming the other busy processes seen when {@code what} ended. */
    private static String busyNote(String what) {
        List<String> busy = Host.busyJavaProcesses();
        return busy.isEmpty() ? null : "**Not quiet**: when " + what + " ended, other busy processes were running: "
                + String.join("; ", busy) + ".";
    }

    /** The section with those of {@code busy} that are not null (and not already there) added to its notes. */
    private static Report.Section withNotes(Report.Section section, String... busy) {
        List<String> notes = new ArrayList<>(section.notes());
        for (String note : busy) {
            if (note != null && !notes.contains(note)) {
                notes.add(note);
            }
        }
        return new Report.Section(section.title(), section.method(), section.rows(), notes);
    }

    /** {@code k=v,k2=v2} as a map. */
    static Map<String, String> properties(String list) {
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

    static String quietNote(String note, List<String> busyAtStart, List<String> busyAtEnd) {
        StringBuilder quiet = new StringBuilder();
        if (note != null && !note.isBlank()) {
            quiet.append(note.strip()).append("; ");
        }
        quiet.append(busyAtStart.isEmpty() ? "no other java/mvn process above 20% CPU at the start"
                : "NOT quiet: busy at the start: " + String.join("; ", busyAtStart));
        quiet.append(busyAtEnd.isEmpty() ? ", none at the end" : "; busy at the end: " + String.join("; ", busyAtEnd));
        return quiet.toString();
    }

    static Map<String, String> options(String[] args) {
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
