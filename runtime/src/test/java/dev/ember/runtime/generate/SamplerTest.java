package dev.ember.runtime.generate;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class SamplerTest {

    @Test
    void temperatureZeroIsTheHighestLogitLowestIndexOnTies() {
        Sampler s = new Sampler(0, 1, 1);
        assertThat(s.next(new float[] {0.1f, 3f, -2f, 3f})).isEqualTo(1);
        assertThat(s.next(new float[] {Float.NaN, 1f, 0f})).isEqualTo(1);
    }

    @Test
    void aSeedGivesTheSameDrawsAndDrawsFollowTheSoftmax() {
        float[] logits = {0f, (float) Math.log(3)}; // probabilities 1/4, 3/4 at temperature 1
        Sampler a = new Sampler(1, 1, 42);
        Sampler b = new Sampler(1, 1, 42);
        int ones = 0;
        for (int i = 0; i < 4000; i++) {
            int x = a.next(logits.clone());
            assertThat(b.next(logits.clone())).isEqualTo(x);
            ones += x;
        }
        assertThat(ones / 4000.0).isBetween(0.72, 0.78);
    }

    @Test
    void topPKeepsTheSmallestSetReachingItsMass() {
        // probabilities 0.5, 0.3, 0.2: top_p 0.6 keeps the first two, 0.4 the first only
        float[] logits = {(float) Math.log(0.5), (float) Math.log(0.3), (float) Math.log(0.2)};
        Sampler narrow = new Sampler(1, 0.4, 7);
        Sampler two = new Sampler(1, 0.6, 7);
        boolean sawSecond = false;
        for (int i = 0; i < 500; i++) {
            assertThat(narrow.next(logits.clone())).isZero();
            int t = two.next(logits.clone());
            assertThat(t).isLessThan(2);
            sawSecond |= t == 1;
        }
        assertThat(sawSecond).isTrue();
    }

    @Test
    void aLowTemperatureSharpensAndNegativeInfinityIsNeverDrawn() {
        float[] logits = {0f, 1f, Float.NEGATIVE_INFINITY};
        Sampler cold = new Sampler(0.05, 1, 3);
        Sampler hot = new Sampler(2, 1, 3);
        int coldOnes = 0;
        int hotOnes = 0;
        for (int i = 0; i < 1000; i++) {
            coldOnes += cold.next(logits.clone());
            int h = hot.next(logits.clone());
            assertThat(h).isNotEqualTo(2);
            hotOnes += h;
        }
        assertThat(coldOnes).isEqualTo(1000);
        assertThat(hotOnes).isBetween(550, 700); // 1 / (1 + e^-0.5) = 0.62
    }
}
