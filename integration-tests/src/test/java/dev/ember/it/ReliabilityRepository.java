package dev.ember.it;

import static dev.ember.runtime.testing.OnnxModelWriter.ElementType.FLOAT;

import dev.ember.runtime.testing.FixtureModels;
import dev.ember.runtime.testing.OnnxModelWriter;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * A repository for the fault-isolation and hardening checks: {@code flaky} (versions 1 and 2) reshapes its input to
 * 2x2, so any other element count fails inside ONNX Runtime (a 500, the version's own failure) while four elements
 * succeed; {@code add} is a healthy neighbour. Its circuit opens after 4 invocations at half failures and probes
 * after 2 s. {@code ember.device=cuda} forces the CUDA path, which fails on this CPU build, so every model falls back
 * to the CPU at load. The console also goes to a file the test reads, to check that no request data is logged.
 */
public class ReliabilityRepository implements QuarkusTestResourceLifecycleManager {

    static final Path LOG = Path.of("target", "reliability-app.log").toAbsolutePath();

    static byte[] reshape() {
        return OnnxModelWriter.graph("flaky")
                .input("x", FLOAT, -1)
                .initializer("shape", new long[] {2, 2}, 2)
                .node("Reshape", List.of("x", "shape"), List.of("y"))
                .output("y", FLOAT, 2, 2)
                .toBytes();
    }

    @Override
    public Map<String, String> start() {
        try {
            Path root = Files.createTempDirectory("ember-reliability");
            write(root.resolve("flaky/1/model.onnx"), reshape());
            write(root.resolve("flaky/2/model.onnx"), reshape());
            write(root.resolve("add/1/model.onnx"), FixtureModels.add());
            Files.deleteIfExists(LOG);
            return Map.of(
                    "ember.repository.path", root.toString(),
                    // the CPU build has no CUDA provider: every model takes the CUDA-to-CPU fallback at load
                    "ember.device", "cuda",
                    "ember.functions.flaky.circuit-breaker.request-volume-threshold", "4",
                    "ember.functions.flaky.circuit-breaker.failure-ratio", "0.5",
                    "ember.functions.flaky.circuit-breaker.delay", "2s",
                    "quarkus.log.file.enabled", "true",
                    "quarkus.log.file.path", LOG.toString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void write(Path file, byte[] bytes) throws IOException {
        Files.createDirectories(file.getParent());
        Files.write(file, bytes);
    }

    @Override
    public void stop() {
        // the temp directory is left for post-mortem inspection; it is small
    }
}
