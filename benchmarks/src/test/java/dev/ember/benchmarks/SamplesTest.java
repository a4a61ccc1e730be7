package dev.ember.benchmarks;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class SamplesTest {

    @Test
    void nearestRankPercentilesPickMeasuredValuesNeverInterpolations() {
        Samples s = new Samples(List.of(50, 10, 40, 20, 30));

        assertThat(s.percentile(50)).isEqualTo(30);
        assertThat(s.percentile(20)).isEqualTo(10);
        assertThat(s.percentile(21)).isEqualTo(20);
        assertThat(s.percentile(99)).isEqualTo(50);
        assertThat(s.percentile(100)).isEqualTo(50);
        assertThat(s.count()).isEqualTo(5);
    }

    @Test
    void p99OfSixteenIsTheMaximumAndP50TheEighthValue() {
        double[] values = new double[16];
        for (int i = 0; i < 16; i++) {
            values[i] = 16 - i; // 16 .. 1, unsorted on purpose
        }
        Samples s = Samples.of(values);

        assertThat(s.percentile(99)).isEqualTo(16);
        assertThat(s.percentile(50)).isEqualTo(8);
        assertThat(s.median()).isEqualTo(8.5);
        assertThat(s.mean()).isEqualTo(8.5);
        assertThat(s.max()).isEqualTo(16);
    }

    @Test
    void noValuesGiveNaNAndAPercentileOutsideTheRangeIsRefused() {
        Samples none = new Samples(List.of());

        assertThat(none.percentile(50)).isNaN();
        assertThat(none.median()).isNaN();
        assertThat(none.mean()).isNaN();
        assertThatThrownBy(() -> none.percentile(0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> none.percentile(101)).isInstanceOf(IllegalArgumentException.class);
    }
}
