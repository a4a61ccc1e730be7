package dev.ember.it;

import dev.ember.runtime.testing.FixtureModels;
import static dev.ember.runtime.testing.OnnxModelWriter.ElementType.FLOAT;
import static dev.ember.runtime.testing.OnnxModelWriter.ElementType.INT64;

import dev.ember.runtime.testing.OnnxModelWriter;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * Models a hostile client can push into trouble with values alone: an embedding table indexed by the request's
 * ids, an output whose shape is the request's values, and one whose weights are ONNX external data beside it.
 */
public class HostileRunsRepository implements QuarkusTestResourceLifecycleManager {

    @Override
    public Map<String, String> start() {
        try {
            Path root = Files.createTempDirectory("ember-hostile");
            FixtureModels.write(root.resolve("vocab/1/model.onnx"),
                    OnnxModelWriter.graph("vocab").input("input_ids", INT64, -1, -1)
                    .initializer("table", new float[] {1, 2, 3, 4, 5, 6, 7, 8}, 4, 2)
                    .node("Gather", List.of("table", "input_ids"), List.of("y"))
                    .output("y", FLOAT, -1, -1, 2).toBytes());
            FixtureModels.write(root.resolve("fill/1/model.onnx"),
                    OnnxModelWriter.graph("fill").input("shape", INT64, 3)
                    .node("ConstantOfShape", List.of("shape"), List.of("y"))
                    .output("y", FLOAT, -1, -1, -1).toBytes());
            FixtureModels.write(root.resolve("external/1/model.onnx"),
                    OnnxModelWriter.graph("external").input("x", FLOAT, -1, 3)
                    .externalInitializer("w", FLOAT, "weights.bin", 0, 12, 1, 3)
                    .node("Add", List.of("x", "w"), List.of("y"))
                    .output("y", FLOAT, -1, 3).toBytes());
            FixtureModels.write(root.resolve("external/1/weights.bin"),
                    OnnxModelWriter.rawFloats(10, 20, 30));
            return Map.of("ember.repository.path", root.toString(),
                    "ember.functions.vocab.circuit-breaker.request-volume-threshold", "4");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void stop() {
        // the temp directory is small and left for inspection
    }
}
