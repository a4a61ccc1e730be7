package dev.ember.benchmarks;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * A packaged Quarkus application (Ember's {@code quarkus-run.jar}, the DIY peer's, or the start command of the
 * AOT-cached build) started on 127.0.0.1 with per-scenario {@code -D} options, and stopped again; a shutdown hook
 * stops any still running when this JVM exits.
 */
final class EmberProcess implements AutoCloseable {

    private static final Set<Process> RUNNING = ConcurrentHashMap.newKeySet();

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> RUNNING.forEach(Process::destroyForcibly),
                "ember-process-reaper"));
    }

    private final Process process;
    private final long startedAt;
    private final int port;
    private final Path log;
    final EmberClient client;

    private EmberProcess(Process process, long startedAt, int port, Path log, String token) {
        this.process = process;
        this.startedAt = startedAt;
        this.port = port;
        this.log = log;
        this.client = new EmberClient(port, token);
    }

    /** {@code java -jar <app>} on this JVM's own java. */
    static List<String> jarCommand(Path app) {
        return List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-jar", app.toString());
    }

    /**
     * Starts {@code launch} (a java binary, its options, {@code -jar <app>}) in {@code directory} (null: this
     * process's), with the host, a free port, the management token (unless null) and {@code properties} as
     * {@code -D} options right after the java binary.
     */
    static EmberProcess start(List<String> launch, Path directory, String name, Map<String, String> properties,
            Path logDir, String token) throws IOException {
        int port = freePort();
        List<String> command = new ArrayList<>();
        command.add(launch.get(0));
        command.add("-Dquarkus.http.host=127.0.0.1");
        command.add("-Dquarkus.http.port=" + port);
        if (token != null) {
            command.add("-Dember.management.token=" + token);
        }
        properties.forEach((k, v) -> command.add("-D" + k + "=" + v));
        command.addAll(launch.subList(1, launch.size()));
        Files.createDirectories(logDir);
        Path log = logDir.resolve(name + ".log");
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(log.toAbsolutePath().toFile());
        if (directory != null) {
            builder.directory(directory.toFile());
        }
        long startedAt = System.nanoTime();
        Process process = builder.start();
        RUNNING.add(process);
        return new EmberProcess(process, startedAt, port, log, token);
    }

    /** Time since the process was spawned. */
    Duration sinceStart() {
        return Duration.ofNanos(System.nanoTime() - startedAt);
    }

    long pid() {
        return process.pid();
    }

    int port() {
        return port;
    }

    long rssKiB() {
        return Host.rssKiB(process.pid());
    }

    /** Sends {@code body} to {@code path} until it is answered 200; returns the time since the process started. */
    Duration awaitFirstSuccess(String path, byte[] body, Duration limit) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + limit.toNanos();
        while (System.nanoTime() < deadline) {
            requireAlive();
            try {
                if (client.post(path, body).status() == 200) {
                    return Duration.ofNanos(System.nanoTime() - startedAt);
                }
            } catch (IOException e) {
                // not listening yet, or the connection closed while the server was starting
            }
            Thread.sleep(5);
        }
        throw new IOException(path + " did not answer 200 within " + limit + "; log: " + log + "\n" + logTail());
    }

    /** Waits until {@code /q/health/ready} answers 200. */
    void awaitReady(Duration limit) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + limit.toNanos();
        while (System.nanoTime() < deadline) {
            requireAlive();
            try {
                if (client.get("/q/health/ready") == 200) {
                    return;
                }
            } catch (IOException e) {
                // not listening yet
            }
            Thread.sleep(20);
        }
        throw new IOException("not ready within " + limit + "; log: " + log + "\n" + logTail());
    }

    private void requireAlive() throws IOException {
        if (!process.isAlive()) {
            throw new IOException("the process exited with " + process.exitValue() + "; log: " + log + "\n"
                    + logTail());
        }
    }

    private String logTail() {
        try {
            List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 30), lines.size()));
        } catch (IOException e) {
            return "(log unreadable: " + e.getMessage() + ")";
        }
    }

    /** SIGTERM (Quarkus shuts down gracefully), then SIGKILL after 30 s. */
    @Override
    public void close() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            process.waitFor(10, TimeUnit.SECONDS);
        }
        RUNNING.remove(process);
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }
}
