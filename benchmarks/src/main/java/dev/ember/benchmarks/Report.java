package dev.ember.benchmarks;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** Renders the figures as BENCHMARKS.md and as a console table; the file is rewritten whole on every run. */
public final class Report {

    public enum Verdict {
        MET("met"), MISSED("**missed**"), NOT_RUN("not run"), NONE("");

        final String text;

        Verdict(String text) {
            this.text = text;
        }

        public static Verdict of(boolean met) {
            return met ? MET : MISSED;
        }
    }

    /**
     * One measured figure, optionally against a reference (the DIY endpoint, raw ONNX Runtime, the other
     * configuration) and a target; {@code shortfall} says by how much a missed target was missed.
     */
    public record Row(String measure, String value, String reference, String ratio, String target, Verdict verdict,
            String shortfall) {

        public static Row of(String measure, String value) {
            return new Row(measure, value, "", "", "", Verdict.NONE, "");
        }

        public static Row compared(String measure, String value, String reference, double ratio) {
            return new Row(measure, value, reference, Report.ratio(ratio), "", Verdict.NONE, "");
        }

        /** A target that could not be measured in this run, with the reason in the value column. */
        public static Row notRun(String measure, String reason, String target) {
            return new Row(measure, "not run: " + reason, "", "", target, Verdict.NOT_RUN, "");
        }

        public Row target(String target, boolean met) {
            return new Row(measure, value, reference, ratio, target, Verdict.of(met), "");
        }

        /** Met when {@code actual <= limit}; a miss says how far over the limit it is. */
        public Row atMost(String target, double actual, double limit) {
            boolean met = actual <= limit;
            return new Row(measure, value, reference, ratio, target, Verdict.of(met),
                    met ? "" : String.format(Locale.ROOT, "%.0f%% over", (actual / limit - 1) * 100));
        }

        /** Met when {@code actual >= limit}; a miss says how far short of the limit it is. */
        public Row atLeast(String target, double actual, double limit) {
            boolean met = actual >= limit;
            return new Row(measure, value, reference, ratio, target, Verdict.of(met),
                    met ? "" : String.format(Locale.ROOT, "%.0f%% short", (1 - actual / limit) * 100));
        }
    }

    /** One scenario: what it measures and how, its figures, and what was noticed. */
    public record Section(String title, String method, List<Row> rows, List<String> notes) {
    }

    /** The machine as the report describes it. */
    public record Machine(String cpus, String cpuModel, String memory, String os, String java) {
    }

    /** How this run went: when, the command, the load around it, whether the machine was quiet. */
    public record Run(String started, String command, String loadAtStart, String loadAtEnd, String quiet,
            String wallTime) {
    }

    /** Where a missed target's cause goes: written by whoever reviews the run, from the figures below. */
    static final String CAUSE_TO_FILL = "**TO FILL IN** (what the measurements of this run show is the cause)";

    private Report() {
    }

    public static String markdown(Machine machine, Run run, List<Section> sections) {
        StringBuilder md = new StringBuilder();
        md.append("# Ember benchmarks\n\n");
        md.append("Written by `").append(run.command()).append("` on ").append(run.started())
                .append("; the next run rewrites this file. The scenarios are in `benchmarks/src/main/java/dev/ember/benchmarks/`, ")
                .append("the do-it-yourself (DIY) endpoint they compare Ember with in `benchmarks/diy-peer/`. Every ratio ")
                .append("is between figures of this one run. These scenarios measure embedding; ")
                .append("generation has its own section at the end, written by `benchmarks/generate.sh`.\n\n");

        md.append("## Machine\n\n");
        md.append(table(List.of("", ""), List.of(
                List.of("CPUs (`nproc`)", machine.cpus()),
                List.of("CPU model", machine.cpuModel()),
                List.of("memory", machine.memory()),
                List.of("OS", machine.os()),
                List.of("Java", machine.java()),
                List.of("load average at start (1, 5, 15 min)", run.loadAtStart()),
                List.of("load average at end", run.loadAtEnd()),
                List.of("quiet machine", run.quiet()),
                List.of("wall time of the run", run.wallTime()))));

        md.append("\n## Command\n\n```\n").append(run.command()).append("\n```\n\n");

        List<List<String>> targets = new ArrayList<>();
        List<String> missed = new ArrayList<>();
        for (Section s : sections) {
            for (Row r : s.rows()) {
                if (r.verdict() != Verdict.NONE) {
                    targets.add(List.of(s.title(), r.measure(), r.value(), r.reference(), r.ratio(), r.target(),
                            r.verdict().text + (r.shortfall().isEmpty() ? "" : " (" + r.shortfall() + ")")));
                }
                if (r.verdict() == Verdict.MISSED) {
                    missed.add("- **" + s.title() + ": " + r.measure() + "**: " + r.value()
                            + (r.ratio().isEmpty() ? "" : " (" + r.ratio() + ")") + " against " + r.target()
                            + (r.shortfall().isEmpty() ? "" : ", " + r.shortfall()) + ".\n  Cause: " + CAUSE_TO_FILL
                            + "\n");
                }
            }
        }
        if (!targets.isEmpty()) {
            md.append("## Targets\n\n");
            md.append(table(List.of("scenario", "measure", "Ember", "reference", "ratio", "target", "verdict"),
                    targets));
            md.append('\n');
        }
        if (!missed.isEmpty()) {
            md.append("## Missed targets and their causes\n\n");
            missed.forEach(md::append);
            md.append('\n');
        }

        for (Section s : sections) {
            md.append("## ").append(s.title()).append("\n\n");
            md.append(s.method().strip()).append("\n\n");
            List<List<String>> rows = new ArrayList<>();
            for (Row r : s.rows()) {
                rows.add(List.of(r.measure(), r.value(), r.reference(), r.ratio(), r.target(), r.verdict().text));
            }
            md.append(table(List.of("measure", "Ember", "reference", "ratio", "target", "verdict"), rows));
            if (!s.notes().isEmpty()) {
                md.append('\n');
                for (String note : s.notes()) {
                    md.append("- ").append(note.strip()).append('\n');
                }
            }
            md.append('\n');
        }
        return md.toString();
    }

    /** A plain aligned table of every figure, for the terminal. */
    public static String console(List<Section> sections) {
        List<String> header = List.of("scenario", "measure", "Ember", "reference", "ratio", "target", "verdict");
        List<List<String>> rows = new ArrayList<>();
        for (Section s : sections) {
            String title = s.title();
            for (Row r : s.rows()) {
                rows.add(List.of(title, r.measure(), r.value(), r.reference(), r.ratio(), r.target(),
                        r.verdict().text.replace("*", "")));
                title = "";
            }
        }
        int[] widths = new int[header.size()];
        for (int c = 0; c < widths.length; c++) {
            widths[c] = header.get(c).length();
            for (List<String> row : rows) {
                widths[c] = Math.max(widths[c], row.get(c).length());
            }
        }
        StringBuilder out = new StringBuilder();
        line(out, header, widths);
        StringBuilder rule = new StringBuilder();
        for (int c = 0; c < widths.length; c++) {
            rule.append(c == 0 ? "" : "-+-").append("-".repeat(widths[c]));
        }
        out.append(rule).append('\n');
        rows.forEach(row -> line(out, row, widths));
        return out.toString();
    }

    /** Replaces the file's whole content (written beside it, then moved over it). */
    public static void write(Path file, String content) throws IOException {
        Path absolute = file.toAbsolutePath();
        Path tmp = Files.createTempFile(absolute.getParent(), absolute.getFileName().toString(), ".tmp");
        try {
            Files.writeString(tmp, content, StandardCharsets.UTF_8);
            Files.move(tmp, absolute, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    public static String ms(double millis) {
        if (Double.isNaN(millis)) {
            return "n/a";
        }
        return String.format(Locale.ROOT, millis < 10 ? "%.2f ms" : millis < 1000 ? "%.1f ms" : "%.0f ms", millis);
    }

    /** Values as whole numbers, comma-separated: "789, 903, 786". */
    public static String wholes(List<Double> values) {
        StringBuilder sb = new StringBuilder();
        for (Double v : values) {
            sb.append(sb.length() == 0 ? "" : ", ").append(String.format(Locale.ROOT, "%.0f", v));
        }
        return sb.toString();
    }

    public static String ratio(double ratio) {
        return Double.isNaN(ratio) || Double.isInfinite(ratio) ? "n/a" : String.format(Locale.ROOT, "%.2fx", ratio);
    }

    public static String perSecond(double rate) {
        return String.format(Locale.ROOT, "%.1f/s", rate);
    }

    public static String mib(long kib) {
        return kib < 0 ? "n/a" : String.format(Locale.ROOT, "%.0f MiB", kib / 1024.0);
    }

    private static void line(StringBuilder out, List<String> cells, int[] widths) {
        StringBuilder line = new StringBuilder();
        for (int c = 0; c < cells.size(); c++) {
            line.append(c == 0 ? "" : " | ").append(pad(cells.get(c), widths[c]));
        }
        out.append(line.toString().stripTrailing()).append('\n');
    }

    private static String pad(String s, int width) {
        return s + " ".repeat(width - s.length());
    }

    static String table(List<String> header, List<List<String>> rows) {
        StringBuilder md = new StringBuilder();
        md.append("| ").append(String.join(" | ", header)).append(" |\n");
        md.append("|").append("---|".repeat(header.size())).append('\n');
        for (List<String> row : rows) {
            md.append("| ");
            for (int c = 0; c < row.size(); c++) {
                md.append(c == 0 ? "" : " | ").append(row.get(c).replace("|", "\\|"));
            }
            md.append(" |\n");
        }
        return md.toString();
    }
}
