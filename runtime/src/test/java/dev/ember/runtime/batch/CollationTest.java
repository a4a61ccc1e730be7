package dev.ember.runtime.batch;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ember.runtime.api.Tensor;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class CollationTest {

    static long[] longs(Tensor t) {
        long[] out = new long[(int) t.elementCount()];
        t.longs().get(out);
        return out;
    }

    @Test
    void stacksAndPadsToTheLongest() {
        Tensor a = Tensor.ofLongs(new long[] {1, 2}, new long[] {1, 2});
        Tensor b = Tensor.ofLongs(new long[] {2, 3}, new long[] {3, 4, 5, 6, 7, 8});
        Tensor stacked = Collation.stack(List.of(a, b), -1);
        assertThat(stacked.shape()).containsExactly(3, 3);
        assertThat(longs(stacked)).containsExactly(1, 2, -1, 3, 4, 5, 6, 7, 8);
    }

    @Test
    void padsInnerDimensionsOfRank3() {
        Tensor a = Tensor.ofFloats(new long[] {1, 1, 2}, new float[] {1, 2});
        Tensor b = Tensor.ofFloats(new long[] {1, 2, 1}, new float[] {3, 4});
        Tensor stacked = Collation.stack(List.of(a, b), 0);
        assertThat(stacked.shape()).containsExactly(2, 2, 2);
        float[] out = new float[8];
        stacked.floats().get(out);
        assertThat(out).containsExactly(1, 2, 0, 0, 3, 0, 4, 0);
    }

    @Test
    void splitReturnsEachRequestsRows() {
        Tensor out = Tensor.ofFloats(new long[] {3, 2}, new float[] {1, 2, 3, 4, 5, 6});
        List<Map<String, Tensor>> parts = Collation.split(Map.of("y", out), new long[] {1, 2});
        float[] second = new float[4];
        parts.get(1).get("y").floats().get(second);
        assertThat(parts.get(0).get("y").shape()).containsExactly(1, 2);
        assertThat(second).containsExactly(3, 4, 5, 6);
    }

    @Test
    void compatibilityNeedsPaddingForDifferentLengths() {
        Map<String, Tensor> a = Map.of("x", Tensor.ofLongs(new long[] {1, 2}, new long[] {1, 2}));
        Map<String, Tensor> b = Map.of("x", Tensor.ofLongs(new long[] {1, 3}, new long[] {1, 2, 3}));
        assertThat(Collation.compatible(a, b, Map.of())).isFalse();
        assertThat(Collation.compatible(a, b, Map.of("x", 0))).isTrue();
        assertThat(Collation.compatible(a, Map.of("y", a.get("x")), Map.of("x", 0))).isFalse();
    }
}
