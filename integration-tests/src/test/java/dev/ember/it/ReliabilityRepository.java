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
 * A repository for the fault-isolation and hardening checks: {@code flaky} (versions 1 and 2) serves four elements,
 * and for any other element count its graph asks ONNX Runtime for a buffer of a petabyte, which fails inside ONNX
 * Runtime (a 500, the version's own failure: an error of the input's shape or indices would be the client's 400);
 * {@code add} is a healthy neighbour. Its circuit opens after 4 invocations at half failures and probes after 2 s.
 * {@code ember.device=cuda} forces the CUDA path, which fails on this CPU build, so every model falls back to the
 * CPU at load. The console also goes to a file the test reads, to check that no request data is logged.
 */
public class ReliabilityRepository implements QuarkusTestResourceLifecycleManager {

    static final Path LOG = Path.of("target", "reliability-app.log").toAbsolutePath();

    /** x [n] -> y [1] of zeros when n is 4, else ConstantOfShape of 2^50 + 1 elements: an allocation failure. */
    static byte[] flaky() {
        return OnnxModelWriter.graph("flaky")
                .input("x", FLOAT, -1)
                .initializer("four", new long[] {4})
                .initializer("one", new long[] {1})
                .initializer("huge", new long[] {1L << 50})
                .initializer("axes", new long[] {0}, 1)
                .node("Size", List.of("x"), List.of("n"))
                .node("Equal", List.of("n", "four"), List.of("fits"))
                .node("Cast", List.of("fits"), List.of("fits64"), OnnxModelWriter.Attribute.ofInt("to", 7))
                .node("Sub", List.of("one", "fits64"), List.of("misfit"))
                .node("Mul", List.of("misfit", "huge"), List.of("extra"))
                .node("Add", List.of("extra", "one"), List.of("count"))
                .node("Unsqueeze", List.of("count", "axes"), List.of("shape"))
                .node("ConstantOfShape", List.of("shape"), List.of("y"))
                .output("y", FLOAT, -1)
                .toBytes();
    }

    @Override
    public Map<String, String> start() {
        try {
            Path root = Files.createTempDirectory("ember-reliability");
            FixtureModels.write(root.resolve("flaky/1/model.onnx"), flaky());
            FixtureModels.write(root.resolve("flaky/2/model.onnx"), flaky());
            FixtureModels.write(root.resolve("add/1/model.onnx"), FixtureModels.add());
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

    @Override
    public void stop() {
        // the temp directory is left for post-mortem inspection; it is small
    }
}
