package dev.ember.runtime.onnx;

import static dev.ember.runtime.testing.OnnxModelWriter.ElementType.FLOAT;
import static dev.ember.runtime.testing.OnnxModelWriter.ElementType.INT64;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ember.runtime.api.InvalidInputException;
import dev.ember.runtime.api.ModelId;
import dev.ember.runtime.api.PayloadTooLargeException;
import dev.ember.runtime.api.Tensor;
import dev.ember.runtime.config.TestConfig;
import dev.ember.runtime.testing.OnnxModelWriter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Errors the request's values cause at run time are the client's (400, never counted against the version), with a
 * message that names what was wrong and none of ONNX Runtime's text; outputs over the output limit are refused
 * before they are copied.
 */
class RunErrorsTest {

    static final ModelId GATHER = new ModelId("gather", 1);

    final SimpleMeterRegistry registry = new SimpleMeterRegistry();

    SessionFactory factory(Map<String, String> properties) {
        Map<String, String> all = new java.util.HashMap<>(properties);
        all.put("ember.device", "cpu");
        return new SessionFactory(TestConfig.ember(all), registry);
    }

    /** An embedding table of 4 rows of 2: ids -> Gather -> [n, t, 2]. */
    static byte[] gather() {
        return OnnxModelWriter.graph("gather").input("ids", INT64, -1, -1)
                .initializer("table", new float[] {1, 2, 3, 4, 5, 6, 7, 8}, 4, 2)
                .node("Gather", List.of("table", "ids"), List.of("y"))
                .output("y", FLOAT, -1, -1, 2).toBytes();
    }

    /** x -> Reshape to [4, -1]: only inputs with a multiple of 4 elements fit. */
    static byte[] reshape() {
        return OnnxModelWriter.graph("reshape").input("x", FLOAT, -1, -1)
                .initializer("shape", new long[] {4, -1}, 2)
                .node("Reshape", List.of("x", "shape"), List.of("y"))
                .output("y", FLOAT, 4, -1).toBytes();
    }

    /** shape -> ConstantOfShape -> y: the output's size is the input's values. */
    static byte[] constantOfShape() {
        return OnnxModelWriter.graph("fill").input("shape", INT64, 3)
                .node("ConstantOfShape", List.of("shape"), List.of("y"))
                .output("y", FLOAT, -1, -1, -1).toBytes();
    }

    static Map<String, Tensor> ids(long... ids) {
        return Map.of("ids", Tensor.ofLongs(new long[] {1, ids.length}, ids));
    }

    @Test
    void anOutOfRangeIndexIsTheClientsErrorAndTheModelKeepsServing() throws Exception {
        try (LoadedModel model = factory(Map.of()).create(GATHER, gather())) {
            assertThatThrownBy(() -> model.run(ids(1, 99), Set.of()))
                    .isInstanceOf(InvalidInputException.class)
                    .hasMessage("model gather/1 rejected the input values: an index is out of range"
                            + " (in its Gather operator)")
                    .satisfies(e -> assertThat(e.getMessage()).doesNotContain("99", "onnxruntime_src", "[-4,3]"));
            for (int i = 0; i < 4; i++) {
                assertThatThrownBy(() -> model.run(ids(-5), Set.of())).isInstanceOf(InvalidInputException.class);
            }
            float[] y = new float[4];
            model.run(ids(3, 0), Set.of()).get("y").floats().get(y);
            assertThat(y).containsExactly(7, 8, 1, 2);
        }
    }

    @Test
    void aShapeTheGraphCannotTakeAtRunTimeIsTheClientsError() throws Exception {
        try (LoadedModel model = factory(Map.of()).create(new ModelId("reshape", 1), reshape())) {
            assertThatThrownBy(() -> model.run(Map.of("x", Tensor.ofFloats(new long[] {1, 6}, new float[6])), Set.of()))
                    .isInstanceOf(InvalidInputException.class)
                    .hasMessageContaining("reshape/1 rejected the input values: a tensor cannot be reshaped")
                    .hasMessageContaining("Reshape operator")
                    .satisfies(e -> assertThat(e.getMessage()).doesNotContain("reshape_helper", "{1,6}", "/onnxruntime"));
            float[] y = new float[8];
            model.run(Map.of("x", Tensor.ofFloats(new long[] {2, 4}, new float[] {1, 2, 3, 4, 5, 6, 7, 8})),
                    Set.of()).get("y").floats().get(y);
            assertThat(y).containsExactly(1, 2, 3, 4, 5, 6, 7, 8);
        }
    }

    @Test
    void anOutputOverTheLimitIsRefusedBeforeItIsCopied() throws Exception {
        try (LoadedModel model = factory(Map.of("ember.limits.max-output-elements", "1000"))
                .create(new ModelId("fill", 1), constantOfShape())) {
            assertThatThrownBy(() -> model.run(shape(10, 10, 11), Set.of()))
                    .isInstanceOf(PayloadTooLargeException.class)
                    .hasMessage("model fill/1: output 'y' would have 1100 elements, more than the limit of 1000"
                            + " (ember.limits.max-output-elements)");
            Tensor y = model.run(shape(10, 10, 10), Set.of()).get("y");
            assertThat(y.shape()).containsExactly(10, 10, 10);
        }
    }

    @Test
    void theDefaultOutputLimitIsTheTensorLimit() throws Exception {
        try (LoadedModel model = factory(Map.of()).create(new ModelId("fill", 1), constantOfShape())) {
            // one element more than 16777216 (64 MiB of floats): native memory only, never the heap
            assertThatThrownBy(() -> model.run(shape(1, 4097, 4096), Set.of()))
                    .isInstanceOf(PayloadTooLargeException.class).hasMessageContaining("limit of 16777216");
            assertThat(model.run(shape(2, 3, 4), Set.of()).get("y").shape()).containsExactly(2, 3, 4);
        }
    }

    static Map<String, Tensor> shape(long... dims) {
        return Map.of("shape", Tensor.ofLongs(new long[] {dims.length}, dims));
    }
}
