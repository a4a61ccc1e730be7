package dev.ember.knative.deploy;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Properties;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * deploy/systemd/ember.service: runs the fast-jar unprivileged, bounded by its cgroup, hardened, logging to the journal,
 * with a stop timeout above Ember's graceful drain. When systemd-analyze is on the PATH it also verifies the unit and
 * scores its exposure; without it those two tests are skipped.
 */
class SystemdUnitTest {

    static final String SERVICE = "Service";
    private static Path unitFile;
    private static SystemdUnit unit;

    @BeforeAll
    static void load() {
        unitFile = DeployFiles.repoRoot().resolve("deploy/systemd/ember.service");
        unit = SystemdUnit.read(unitFile);
    }

    @Test
    void runsTheFastJarAsAnUnprivilegedUserWithItsSettingsFromAnEnvFile() {
        boolean dynamic = unit.value(SERVICE, "DynamicUser").orElse("no").equals("yes");
        String user = unit.value(SERVICE, "User").orElse("root");
        assertThat(dynamic || !(user.equals("root") || user.equals("0"))).as("DynamicUser=yes or a User other than root")
                .isTrue();
        assertThat(unit.value(SERVICE, "ExecStart").orElseThrow()).contains("-jar ", "/quarkus-app/quarkus-run.jar");
        assertThat(unit.values(SERVICE, "EnvironmentFile")).isNotEmpty();
        assertThat(unit.value(SERVICE, "Type").orElseThrow()).isIn("exec", "simple");
        assertThat(unit.value("Install", "WantedBy").orElseThrow()).isEqualTo("multi-user.target");
    }

    @Test
    void isBoundedByItsCgroup() {
        assertThat(unit.value(SERVICE, "MemoryMax").orElseThrow()).matches("\\d+[KMGT]?");
        assertThat(unit.value(SERVICE, "CPUQuota").orElseThrow()).matches("\\d+%");
    }

    @Test
    void isHardenedButLetsTheJvmCompile() {
        expect("NoNewPrivileges", "yes");
        expect("ProtectSystem", "strict");
        assertThat(unit.value(SERVICE, "ProtectHome").orElseThrow()).isIn("yes", "read-only", "tmpfs");
        expect("PrivateTmp", "yes");
        expect("CapabilityBoundingSet", "");
        assertThat(unit.value(SERVICE, "RestrictAddressFamilies").orElseThrow().split(" "))
                .containsExactlyInAnyOrder("AF_UNIX", "AF_INET", "AF_INET6");
        assertThat(unit.values(SERVICE, "SystemCallFilter")).contains("@system-service");
        // the JIT writes code and then runs it: MemoryDenyWriteExecute=yes would break the JVM
        assertThat(unit.value(SERVICE, "MemoryDenyWriteExecute")).isEmpty();
        assertThat(unit.text()).contains("MemoryDenyWriteExecute is NOT set").contains("JIT");
    }

    @Test
    void logsToTheJournalAndRestartsOnFailure() {
        expect("StandardOutput", "journal");
        expect("StandardError", "journal");
        expect("SyslogIdentifier", "ember");
        expect("Restart", "on-failure");
    }

    @Test
    void theStopTimeoutOutlastsTheGracefulDrain() throws IOException {
        Properties app = new Properties();
        try (var in = Files.newBufferedReader(DeployFiles.repoRoot()
                .resolve("functions/src/main/resources/application.properties"), StandardCharsets.UTF_8)) {
            app.load(in);
        }
        Duration drain = seconds(app.getProperty("quarkus.shutdown.delay"))
                .plus(seconds(app.getProperty("quarkus.shutdown.timeout")));
        assertThat(seconds(unit.value(SERVICE, "TimeoutStopSec").orElseThrow()))
                .as("TimeoutStopSec against quarkus.shutdown.delay + timeout").isGreaterThan(drain);
        expect("KillSignal", "SIGTERM");
    }

    @Test
    void systemdAnalyzeVerifiesTheUnit() throws Exception {
        assumeTrue(DeployFiles.onPath("systemd-analyze"), "systemd-analyze not on the PATH (Debian: apt-get install systemd)");
        assertThat(verify(unitFile)).as("systemd-analyze verify %s", unitFile).isEmpty();
    }

    @Test
    void systemdAnalyzeVerifyReportsAMisspeltDirective(@TempDir Path dir) throws Exception {
        // the check above can fail: verify exits 0 on unknown keys, so the test reads what it prints
        assumeTrue(DeployFiles.onPath("systemd-analyze"), "systemd-analyze not on the PATH (Debian: apt-get install systemd)");
        Path broken = dir.resolve("ember.service");
        Files.writeString(broken, unit.text().replace("ProtectSystem=strict", "ProtectSytem=strict"));
        assertThat(verify(broken)).anyMatch(l -> l.contains("ProtectSytem"));
    }

    @Test
    void systemdAnalyzeScoresTheUnitsExposureLow() throws Exception {
        assumeTrue(DeployFiles.onPath("systemd-analyze"), "systemd-analyze not on the PATH (Debian: apt-get install systemd)");
        List<String> out = DeployFiles.run(List.of("systemd-analyze", "security", "--offline=yes", "--no-pager",
                unitFile.toString()));
        Matcher m = Pattern.compile("Overall exposure level for ember.service: ([0-9.]+)")
                .matcher(String.join("\n", out));
        assumeTrue(m.find(), "this systemd-analyze has no offline security analysis (systemd >= 250): " + out);
        // 0 = fully locked down, 10 = unprotected; systemd calls below 2 "OK"
        assertThat(Double.parseDouble(m.group(1))).isLessThan(2.0);
    }

    /** What systemd-analyze verify prints: it exits 0 on unknown or unparsable settings and only warns. */
    private static List<String> verify(Path file) throws Exception {
        Path copy = file;
        if (!Files.isExecutable(Path.of("/usr/bin/java"))) {
            // verify checks that ExecStart's binary exists; point it at this JVM's
            copy = Files.createTempFile("ember", ".service");
            Files.writeString(copy, Files.readString(file).replace("/usr/bin/java",
                    Path.of(System.getProperty("java.home"), "bin", "java").toString()));
            Path named = copy.resolveSibling("ember.service");
            Files.move(copy, named, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            copy = named;
        }
        return DeployFiles.run(List.of("systemd-analyze", "verify", copy.toString()));
    }

    private void expect(String key, String value) {
        assertThat(unit.value(SERVICE, key)).as(key).contains(value);
    }

    /** "30s", "5min", "20" (seconds): the forms the unit and application.properties use. */
    static Duration seconds(String text) {
        Matcher m = Pattern.compile("(\\d+)(ms|s|min|m)?").matcher(text.strip());
        if (!m.matches()) {
            throw new IllegalArgumentException("not a duration: " + text);
        }
        long n = Long.parseLong(m.group(1));
        String unitName = m.group(2) == null ? "s" : m.group(2);
        return switch (unitName) {
            case "ms" -> Duration.ofMillis(n);
            case "min", "m" -> Duration.ofMinutes(n);
            default -> Duration.ofSeconds(n);
        };
    }

}
