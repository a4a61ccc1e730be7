package dev.ember.benchmarks;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/** What the report says about the machine, read from /proc and the JVM (Linux). */
final class Host {

    private Host() {
    }

    static Report.Machine machine() {
        String cpus = command("nproc").orElse(String.valueOf(Runtime.getRuntime().availableProcessors()));
        String model = procField("/proc/cpuinfo", "model name").orElse("unknown");
        String memory = procField("/proc/meminfo", "MemTotal")
                .map(v -> String.format(Locale.ROOT, "%.1f GiB", Long.parseLong(v.replaceAll("[^0-9]", "")) / 1048576.0))
                .orElse("unknown");
        String os = osRelease().orElse(System.getProperty("os.name")) + ", kernel " + System.getProperty("os.version")
                + " (" + System.getProperty("os.arch") + ")";
        String java = System.getProperty("java.vm.name") + " " + System.getProperty("java.runtime.version");
        return new Report.Machine(cpus, model, memory, os, java);
    }

    static String loadAverage() {
        try {
            String[] parts = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
            return parts[0] + ", " + parts[1] + ", " + parts[2];
        } catch (IOException | RuntimeException e) {
            return "unknown";
        }
    }

    /**
     * Other java or mvn processes above 20% CPU (the {@code ps -eo pcpu,args} figure: CPU time over the
     * process's lifetime); this process and its children are left out.
     */
    static List<String> busyJavaProcesses() {
        List<String> busy = new ArrayList<>();
        ProcessHandle self = ProcessHandle.current();
        List<Long> ours = new ArrayList<>();
        ours.add(self.pid());
        self.descendants().forEach(p -> ours.add(p.pid()));
        for (String line : command("ps", "-eo", "pid=,pcpu=,args=").orElse("").split("\n")) {
            String[] f = line.trim().split("\\s+", 3);
            if (f.length < 3) {
                continue;
            }
            try {
                long pid = Long.parseLong(f[0]);
                double cpu = Double.parseDouble(f[1]);
                String args = f[2];
                boolean javaOrMaven = args.contains("java") || args.contains("mvn") || args.contains("maven");
                if (cpu > 20 && javaOrMaven && !ours.contains(pid)) {
                    busy.add(f[1] + "% " + (args.length() > 80 ? args.substring(0, 80) + "..." : args));
                }
            } catch (NumberFormatException e) {
                // a header or an odd line: not a process
            }
        }
        return busy;
    }

    /** Resident memory of a process in KiB (VmRSS), or -1 when it cannot be read (the process is gone). */
    static long rssKiB(long pid) {
        return procField("/proc/" + pid + "/status", "VmRSS")
                .map(v -> Long.parseLong(v.replaceAll("[^0-9]", ""))).orElse(-1L);
    }

    private static Optional<String> procField(String file, String key) {
        try {
            for (String line : Files.readAllLines(Path.of(file), StandardCharsets.UTF_8)) {
                int colon = line.indexOf(':');
                if (colon > 0 && line.substring(0, colon).trim().equals(key)) {
                    return Optional.of(line.substring(colon + 1).trim());
                }
            }
        } catch (IOException e) {
            // not Linux, or the process ended
        }
        return Optional.empty();
    }

    private static Optional<String> osRelease() {
        try {
            for (String line : Files.readAllLines(Path.of("/etc/os-release"))) {
                if (line.startsWith("PRETTY_NAME=")) {
                    return Optional.of(line.substring("PRETTY_NAME=".length()).replace("\"", ""));
                }
            }
        } catch (IOException e) {
            // no os-release: the JVM's name is used
        }
        return Optional.empty();
    }

    private static Optional<String> command(String... command) {
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
            byte[] out = p.getInputStream().readAllBytes();
            if (!p.waitFor(10, TimeUnit.SECONDS) || p.exitValue() != 0) {
                p.destroyForcibly();
                return Optional.empty();
            }
            return Optional.of(new String(out, StandardCharsets.UTF_8).trim());
        } catch (IOException e) {
            return Optional.empty();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.empty();
        }
    }
}
