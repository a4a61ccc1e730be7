package dev.ember.runtime.gpu;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.concurrent.TimeUnit;

/** One {@code nvidia-smi --query-gpu} call and its CSV answer. */
final class NvidiaSmi {

    static final List<String> QUERY = List.of("--query-gpu=index,name,memory.used,memory.total,utilization.gpu",
            "--format=csv,noheader,nounits");
    private static final long MIB = 1024L * 1024L;
    private static final int MAX_OUTPUT = 64 * 1024;

    /** One GPU's reading; a field nvidia-smi reports as {@code [N/A]} or {@code [Not Supported]} is empty. */
    record Reading(String index, String name, OptionalDouble memoryUsedBytes, OptionalDouble memoryTotalBytes,
                   OptionalDouble utilization) {
    }

    private final Path binary;

    NvidiaSmi(Path binary) {
        this.binary = binary;
    }

    /** The binary: {@code configured} itself if it names a path, else the first executable of that name on {@code path}. */
    static Optional<Path> resolve(String configured, String path) {
        if (configured.isBlank()) {
            return Optional.empty();
        }
        if (configured.contains("/")) {
            Path p = Path.of(configured);
            return Files.isRegularFile(p) && Files.isExecutable(p) ? Optional.of(p) : Optional.empty();
        }
        if (path == null) {
            return Optional.empty();
        }
        for (String dir : path.split(java.io.File.pathSeparator)) {
            if (dir.isEmpty()) {
                continue;
            }
            Path p = Path.of(dir).resolve(configured);
            if (Files.isRegularFile(p) && Files.isExecutable(p)) {
                return Optional.of(p);
            }
        }
        return Optional.empty();
    }

    /** Runs the query; any failure (exit status, timeout, unreadable output) is an IOException. */
    List<Reading> query(Duration timeout) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        command.add(binary.toString());
        command.addAll(QUERY);
        Process process = new ProcessBuilder(command)
                .redirectError(ProcessBuilder.Redirect.DISCARD).start();
        try {
            process.getOutputStream().close();
            // the answer is a few hundred bytes, well within the pipe's buffer: wait first, so that a hung
            // nvidia-smi costs the timeout and no more; one that fills the pipe is no answer anyway
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                throw new IOException(binary + " did not answer within " + timeout);
            }
            if (process.exitValue() != 0) {
                throw new IOException(binary + " exited with status " + process.exitValue());
            }
            byte[] out;
            try (InputStream in = process.getInputStream()) {
                out = in.readNBytes(MAX_OUTPUT);
            }
            return parse(new String(out, StandardCharsets.UTF_8));
        } finally {
            process.destroyForcibly();
        }
    }

    /** Parses {@code index, name, memory.used [MiB], memory.total [MiB], utilization.gpu [%]} lines. */
    static List<Reading> parse(String csv) throws IOException {
        List<Reading> readings = new ArrayList<>();
        for (String line : csv.split("\\R")) {
            if (line.isBlank()) {
                continue;
            }
            String[] f = line.split(",");
            if (f.length != 5 || !f[0].strip().matches("[0-9]{1,3}")) {
                throw new IOException("unexpected nvidia-smi line: " + line.strip());
            }
            readings.add(new Reading(f[0].strip(), f[1].strip(), number(f[2], MIB), number(f[3], MIB),
                    number(f[4], 0.01)));
        }
        return readings;
    }

    private static OptionalDouble number(String field, double scale) {
        try {
            double v = Double.parseDouble(field.strip());
            return Double.isFinite(v) && v >= 0 ? OptionalDouble.of(v * scale) : OptionalDouble.empty();
        } catch (NumberFormatException notReported) {
            return OptionalDouble.empty();
        }
    }
}
