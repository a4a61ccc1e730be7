package dev.ember.benchmarks;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Runs the generation scenario and writes its block of BENCHMARKS.md (only that block: the other sections come from
 * {@code benchmarks/run.sh}). Started by {@code benchmarks/generate.sh}; arguments: {@code --app <quarkus-run.jar>
 * --out <BENCHMARKS.md> --model-dir <dir> --logs <dir> --command <as typed> [--quiet-note <text>] [--quick]
 * [--set k=v,...]}.
 */
public final class GenerateMain {

    private GenerateMain() {
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> options = Main.options(args);
        Path app = Path.of(options.get("--app"));
        if (!Files.isRegularFile(app)) {
            throw new IllegalArgumentException(app + " does not exist: build with benchmarks/generate.sh --build");
        }
        Path out = Path.of(options.get("--out"));
        boolean quick = options.containsKey("--quick");
        Path modelDir = Path.of(options.get("--model-dir"));
        Path logs = Path.of(options.getOrDefault("--logs", "benchmarks/target/logs"));
        GenerationRun.Scale scale = quick ? GenerationRun.Scale.QUICK : GenerationRun.Scale.FULL;

        long wallStart = System.nanoTime();
        String started = ZonedDateTime.now(ZoneOffset.UTC).format(DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm 'UTC'"));
        String loadAtStart = Host.loadAverage();
        List<String> busyAtStart = Host.busyJavaProcesses();
        Harness.log("load average %s; busy java/mvn processes: %s", loadAtStart, busyAtStart);
        Map<String, String> extra = Main.properties(options.getOrDefault("--set", ""));
        Harness h = new Harness(app, app, List.of(), "", Path.of("."), logs, quick, extra);

        GenerationRun.Figures figures = GenerationRun.run(h, modelDir, scale);

        List<String> busyAtEnd = Host.busyJavaProcesses();
        String quiet = Main.quietNote(options.get("--quiet-note"), busyAtStart, busyAtEnd);
        Report.Run run = new Report.Run(started, options.getOrDefault("--command", "benchmarks/generate.sh"),
                loadAtStart, Host.loadAverage(), quiet,
                Duration.ofNanos(System.nanoTime() - wallStart).toSeconds() + " s");
        String block = GenerationReport.block(Host.machine(), run, figures, quick, extra);
        String existing = Files.isRegularFile(out) ? Files.readString(out) : "";
        Report.write(out, GenerationReport.splice(existing, block));
        System.out.println();
        System.out.print(Report.console(List.of(new Report.Section("Generation", "", figures.rows(), new ArrayList<>()))));
        System.out.println();
        Harness.log("wrote the generation block of %s", out.toAbsolutePath());
    }
}
