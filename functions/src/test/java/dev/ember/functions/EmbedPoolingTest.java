package dev.ember.functions;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ember.runtime.api.Tensor;
import java.util.List;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.Test;

/** {@link EmbedFunction#pool}: the mean of the token vectors under the attention mask, L2-normalised. */
class EmbedPoolingTest {

    static final Offset<Float> EXACT = Offset.offset(1e-6f);

    @Test
    void meanUnderTheMaskThenUnitLength() {
        // one row, two tokens of (1, 2) and (3, 4): mean (2, 3), norm sqrt(13)
        Tensor hidden = Tensor.ofFloats(new long[] {1, 2, 2}, new float[] {1, 2, 3, 4});
        List<float[]> v = EmbedFunction.pool(hidden, new long[] {1, 1}, 2, new int[] {2});
        assertThat(v).hasSize(1);
        assertThat(v.get(0)).hasSize(2);
        assertThat(v.get(0)[0]).isCloseTo((float) (2 / Math.sqrt(13)), EXACT);
        assertThat(v.get(0)[1]).isCloseTo((float) (3 / Math.sqrt(13)), EXACT);
    }

    @Test
    void maskedAndBatchPaddedPositionsAreIgnored() {
        // This request is 2 rows of width 2, but its batch was padded to 3 positions by a longer text. Row 0: tokens
        // (1, 2), (3, 4), then batch padding (100, -100). Row 1: one token (3, -4), then its own padding (masked)
        // (50, 50), then batch padding (-7, 9).
        Tensor hidden = Tensor.ofFloats(new long[] {2, 3, 2}, new float[] {
                1, 2, 3, 4, 100, -100,
                3, -4, 50, 50, -7, 9});
        long[] mask = {1, 1, 1, 0};
        List<float[]> v = EmbedFunction.pool(hidden, mask, 2, new int[] {2, 1});
        assertThat(v).hasSize(2);
        // row 0: mean (2, 3) / sqrt(13)
        assertThat(v.get(0)[0]).isCloseTo(0.5547002f, EXACT);
        assertThat(v.get(0)[1]).isCloseTo(0.8320503f, EXACT);
        // row 1: (3, -4) / 5
        assertThat(v.get(1)[0]).isCloseTo(0.6f, EXACT);
        assertThat(v.get(1)[1]).isCloseTo(-0.8f, EXACT);
    }

    @Test
    void aZeroMaskInsideTheRowLengthIsSkipped() {
        // the mask, not the length alone, decides: the middle token is masked out; mean of (2, 0) and (0, 2) = (1, 1)
        Tensor hidden = Tensor.ofFloats(new long[] {1, 3, 2}, new float[] {2, 0, 9, 9, 0, 2});
        List<float[]> v = EmbedFunction.pool(hidden, new long[] {1, 0, 1}, 3, new int[] {3});
        assertThat(v.get(0)[0]).isCloseTo((float) Math.sqrt(0.5), EXACT);
        assertThat(v.get(0)[1]).isCloseTo((float) Math.sqrt(0.5), EXACT);
    }
}
