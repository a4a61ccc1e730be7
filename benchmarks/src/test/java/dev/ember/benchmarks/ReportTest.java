package dev.ember.benchmarks;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ReportTest {

    private static final Report.Machine MACHINE = new Report.Machine("2", "Test CPU @ 2.0GHz", "23.5 GiB",
            "Debian GNU/Linux 12 (bookworm), kernel 6.1.0 (amd64)", "OpenJDK 64-Bit Server VM 17.0.15+6");
    private static final Report.Run RUN = new Report.Run("2025-01-01 10:00 UTC", "benchmarks/run.sh", "0.10, 0.20, 0.30",
            "1.50, 0.90, 0.40", "no other java/mvn process above 20% CPU at the start, none at the end", "312 s");

    private static List<Report.Section> sections() {
        return List.of(
                new Report.Section("1. Overhead", "One client.", List.of(
                        Report.Row.compared("p50", Report.ms(5.5), Report.ms(5.0), 1.1).target("<= 1.15", true),
                        Report.Row.compared("p99", Report.ms(12.25), Report.ms(6.0), 12.25 / 6.0)),
                        List.of("Where the time goes.")),
                new Report.Section("2. Batching", "32 clients.", List.of(
                        Report.Row.compared("throughput", Report.perSecond(180.04), Report.perSecond(150), 1.2)
                                .target(">= 1.50", false),
                        Report.Row.of("resident memory", Report.mib(409_600))),
                        List.of()));
    }

    @Test
    void markdownCarriesTheMachineTheCommandAndEveryFigure() {
        String md = Report.markdown(MACHINE, RUN, sections());

        assertThat(md).startsWith("# Ember benchmarks\n");
        assertThat(md).contains("| CPUs (`nproc`) | 2 |", "| CPU model | Test CPU @ 2.0GHz |", "| memory | 23.5 GiB |",
                "| OS | Debian GNU/Linux 12 (bookworm), kernel 6.1.0 (amd64) |",
                "| Java | OpenJDK 64-Bit Server VM 17.0.15+6 |",
                "| load average at start (1, 5, 15 min) | 0.10, 0.20, 0.30 |", "| wall time of the run | 312 s |");
        assertThat(md).contains("## Command\n\n```\nbenchmarks/run.sh\n```");
        assertThat(md).contains("## 1. Overhead\n\nOne client.\n\n| measure | Ember | reference | ratio | target | verdict |");
        assertThat(md).contains("| p50 | 5.50 ms | 5.00 ms | 1.10x | <= 1.15 | met |");
        assertThat(md).contains("| p99 | 12.3 ms | 6.00 ms | 2.04x |  |  |");
        assertThat(md).contains("| throughput | 180.0/s | 150.0/s | 1.20x | >= 1.50 | **missed** |");
        assertThat(md).contains("| resident memory | 400 MiB |  |  |  |  |");
        assertThat(md).contains("\n- Where the time goes.\n");
    }

    @Test
    void targetsAreSummarisedOnceWithTheirVerdicts() {
        String md = Report.markdown(MACHINE, RUN, sections());
        String targets = md.substring(md.indexOf("## Targets"), md.indexOf("## 1. Overhead"));

        assertThat(targets).contains("| 1. Overhead | p50 | 5.50 ms | 5.00 ms | 1.10x | <= 1.15 | met |",
                "| 2. Batching | throughput | 180.0/s | 150.0/s | 1.20x | >= 1.50 | **missed** |");
        assertThat(targets).doesNotContain("| p99 |", "resident memory");
    }

    @Test
    void consoleTableAlignsItsColumns() {
        String[] lines = Report.console(sections()).split("\n");

        assertThat(lines).hasSize(6); // header, rule, four rows
        assertThat(lines[0]).startsWith("scenario").contains("| verdict");
        assertThat(lines[2]).startsWith("1. Overhead").endsWith("| met");
        assertThat(lines[3]).startsWith("   ").contains("| p99");
        assertThat(lines[4]).endsWith("| missed");
        int firstBar = lines[0].indexOf(" | ");
        int secondBar = lines[0].indexOf(" | ", firstBar + 1);
        for (int i = 2; i < lines.length; i++) {
            assertThat(lines[i].indexOf(" | ")).isEqualTo(firstBar);
            assertThat(lines[i].indexOf(" | ", firstBar + 1)).isEqualTo(secondBar);
        }
    }

    @Test
    void cellsCannotBreakTheMarkdownTable() {
        Report.Section s = new Report.Section("x", "m", List.of(Report.Row.of("a | b", "1")), List.of());

        assertThat(Report.markdown(MACHINE, RUN, List.of(s))).contains("| a \\| b | 1 |");
    }

    @Test
    void writeReplacesTheWholeFile(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("BENCHMARKS.md");
        Files.writeString(file, "# old figures\n".repeat(1000));

        Report.write(file, "# new\n");

        assertThat(Files.readString(file)).isEqualTo("# new\n");
        try (var files = Files.list(dir)) {
            assertThat(files).containsExactly(file); // no temporary file left behind
        }
    }

    @Test
    void formatsUnitsAndMissingFigures() {
        assertThat(Report.ms(0.4567)).isEqualTo("0.46 ms");
        assertThat(Report.ms(45.67)).isEqualTo("45.7 ms");
        assertThat(Report.ms(4567.8)).isEqualTo("4568 ms");
        assertThat(Report.ms(Double.NaN)).isEqualTo("n/a");
        assertThat(Report.ratio(Double.POSITIVE_INFINITY)).isEqualTo("n/a");
        assertThat(Report.mib(-1)).isEqualTo("n/a");
        assertThat(Report.wholes(List.of(789.4, 903.6))).isEqualTo("789, 904");
    }

    @Test
    void boundedTargetsSayByHowMuchTheyWereMissedAndLeaveAPlaceForTheCause() {
        Report.Section s = new Report.Section("3. Mix", "m", List.of(
                Report.Row.compared("throughput vs DIY", "98.0/s", "253.0/s", 98.0 / 253).atLeast(">= 1.50x",
                        98.0 / 253, 1.5),
                Report.Row.compared("p99 vs DIY", "300 ms", "347 ms", 300.0 / 347).atMost("<= 1.00x", 300.0 / 347, 1),
                Report.Row.of("resident memory", "492 MiB").atMost("<= 400 MiB", 492, 400),
                Report.Row.notRun("start with the AOT cache", "no app.aot", "<= 1000 ms")), List.of());

        String md = Report.markdown(MACHINE, RUN, List.of(s));
        String targets = md.substring(md.indexOf("## Targets"), md.indexOf("## Missed targets"));
        String missed = md.substring(md.indexOf("## Missed targets"), md.indexOf("## 3. Mix"));

        assertThat(targets).contains(
                "| 3. Mix | throughput vs DIY | 98.0/s | 253.0/s | 0.39x | >= 1.50x | **missed** (74% short) |",
                "| 3. Mix | p99 vs DIY | 300 ms | 347 ms | 0.86x | <= 1.00x | met |",
                "| 3. Mix | resident memory | 492 MiB |  |  | <= 400 MiB | **missed** (23% over) |",
                "| 3. Mix | start with the AOT cache | not run: no app.aot |  |  | <= 1000 ms | not run |");
        assertThat(missed).contains("- **3. Mix: throughput vs DIY**: 98.0/s (0.39x) against >= 1.50x, 74% short.\n"
                + "  Cause: " + Report.CAUSE_TO_FILL + "\n");
        assertThat(missed).contains("- **3. Mix: resident memory**: 492 MiB against <= 400 MiB, 23% over.");
        assertThat(missed).doesNotContain("p99 vs DIY", "AOT");
    }

    @Test
    void noMissedTargetsNoCausesSection() {
        assertThat(Report.markdown(MACHINE, RUN, List.of(new Report.Section("x", "m",
                List.of(Report.Row.of("a", "1").atMost("<= 2", 1, 2)), List.of())))).doesNotContain("## Missed");
    }

    @Test
    void theIntroductionSaysOnlyEmbeddingIsMeasured() {
        assertThat(Report.markdown(MACHINE, RUN, sections())).contains("generation has its own section at the end",
                "`benchmarks/diy-peer/`");
    }
}
