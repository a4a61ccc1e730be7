package dev.ember.knative.deploy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** The repository's deploy/ folder and the host tools its tests call. */
final class DeployFiles {

    private DeployFiles() {
    }

    /** The repository root: the knative/ module's parent ({@code ember.knative.dir} from the build). */
    static Path repoRoot() {
        return Path.of(System.getProperty("ember.knative.dir", ".")).toAbsolutePath().normalize().getParent();
    }

    static boolean onPath(String tool) {
        String path = System.getenv("PATH");
        if (path == null) {
            return false;
        }
        for (String dir : path.split(java.io.File.pathSeparator)) {
            if (Files.isExecutable(Path.of(dir, tool))) {
                return true;
            }
        }
        return false;
    }

    /** Runs a command and returns its output lines (stdout and stderr together); fails after a minute. */
    static List<String> run(List<String> command) throws IOException, InterruptedException {
        Path log = Files.createTempFile("ember-tool", ".log");
        try {
            Process process = new ProcessBuilder(command).redirectErrorStream(true)
                    .redirectOutput(log.toFile()).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                    .start();
            if (!process.waitFor(1, TimeUnit.MINUTES)) {
                process.destroyForcibly();
                throw new IllegalStateException(command + " did not finish within a minute");
            }
            return Files.readString(log, StandardCharsets.UTF_8).lines().filter(l -> !l.isBlank()).toList();
        } finally {
            Files.deleteIfExists(log);
        }
    }
}
