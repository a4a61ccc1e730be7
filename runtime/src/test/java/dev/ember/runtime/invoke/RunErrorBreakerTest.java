package dev.ember.runtime.invoke;

import static dev.ember.runtime.testing.OnnxModelWriter.ElementType.FLOAT;
import static dev.ember.runtime.testing.OnnxModelWriter.ElementType.INT64;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ember.runtime.api.InvalidInputException;
import dev.ember.runtime.api.ModelCall;
import dev.ember.runtime.api.ModelSignature;
import dev.ember.runtime.api.Tensor;
import dev.ember.runtime.testing.OnnxModelWriter;
import dev.ember.runtime.traffic.VersionSelector;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Run errors a client's values cause (an id out of the vocabulary) are its own: they never open the circuit. */
class RunErrorBreakerTest {

    @TempDir
    Path root;
    DataPlaneFixture plane;

    @AfterEach
    void stop() {
        plane.close();
    }

    static byte[] embed() {
        return OnnxModelWriter.graph("embed").input("input_ids", INT64, -1, -1)
                .initializer("table", new float[] {1, 2, 3, 4, 5, 6, 7, 8}, 4, 2)
                .node("Gather", List.of("table", "input_ids"), List.of("y"))
                .output("y", FLOAT, -1, -1, 2).toBytes();
    }

    static Function<ModelSignature, ModelCall<float[]>> ids(long... ids) {
        return signature -> ModelCall.of(Map.of("input_ids", Tensor.ofLongs(new long[] {1, ids.length}, ids)),
                outputs -> {
                    float[] y = new float[(int) outputs.get("y").elementCount()];
                    outputs.get("y").floats().get(y);
                    return y;
                });
    }

    @Test
    void outOfVocabularyIdsAreBadInputAndTheVersionStaysOnline() throws Exception {
        plane = new DataPlaneFixture(root, Map.of("embed", embed()), Map.of(
                "ember.functions.embed.circuit-breaker.request-volume-threshold", "4",
                "ember.functions.embed.circuit-breaker.delay", "60s"));
        for (int i = 0; i < 12; i++) {
            assertThatThrownBy(() -> plane.dataPlane.invoke("embed", VersionSelector.ANY, ids(1, 30522))
                    .get(30, TimeUnit.SECONDS)).cause().isInstanceOf(InvalidInputException.class)
                    .hasMessageContaining("an index is out of range");
        }
        assertThat(plane.dataPlane.invoke("embed", VersionSelector.ANY, ids(3, 0)).get(30, TimeUnit.SECONDS)
                .response()).containsExactly(7, 8, 1, 2);
    }
}
