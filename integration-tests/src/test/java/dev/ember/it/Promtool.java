package dev.ember.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The real promtool (Debian's prometheus package); a test that needs it is skipped, saying how to install it. */
final class Promtool {

    static final String INSTALL = "promtool not found on the PATH: install Debian's prometheus package "
            + "(apt-get install -y --no-install-recommends prometheus; .ci/run does it when it runs as root)";

    private Promtool() {
    }

    static void assumePresent() {
        boolean present;
        try {
            present = run(null, "--version").status == 0;
        } catch (IOException e) {
            present = false;
        }
        assumeTrue(present, INSTALL);
    }

    /** {@code promtool check rules <file>}, asserting that it passes. */
    static void checkRules(Path file) throws IOException {
        Result r = run(null, "check", "rules", file.toString());
        assertThat(r.status).as("promtool check rules %s:%n%s", file, r.output).isZero();
    }

    /** {@code promtool test rules <file>}: rule unit tests on synthetic series, asserting that they pass. */
    static void testRules(Path file) throws IOException {
        Result r = run(null, "test", "rules", file.toString());
        assertThat(r.status).as("promtool test rules %s:%n%s", file, r.output).isZero();
    }

    /**
     * {@code promtool check metrics} on an exposition: asserts that it parses (status 0, or 3 for lint findings only)
     * and returns the lint findings, one {@code <series> <problem>} per line.
     */
    static List<String> checkMetrics(String exposition) throws IOException {
        Result r = run(exposition, "check", "metrics");
        // promtool names the line it cannot parse: show that line
        Matcher line = Pattern.compile("line (\\d+)").matcher(r.output);
        String at = line.find() ? exposition.lines().skip(Long.parseLong(line.group(1)) - 1).findFirst().orElse("")
                : "";
        assertThat(r.status).as("promtool check metrics:%n%s%s", r.output, at).isIn(0, 3);
        return r.output.lines().filter(l -> !l.isBlank()).toList();
    }

    record Result(int status, String output) {
    }

    static Result run(String stdin, String... args) throws IOException {
        List<String> command = new ArrayList<>(List.of("promtool"));
        command.addAll(List.of(args));
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        try {
            try (var in = p.getOutputStream()) {
                if (stdin != null) {
                    in.write(stdin.getBytes(StandardCharsets.UTF_8));
                }
            }
            String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                throw new IOException("promtool did not finish");
            }
            return new Result(p.exitValue(), output);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException(e);
        } finally {
            p.destroyForcibly();
        }
    }
}
