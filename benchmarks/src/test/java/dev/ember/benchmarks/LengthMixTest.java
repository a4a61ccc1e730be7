package dev.ember.benchmarks;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.IntSummaryStatistics;
import java.util.List;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

class LengthMixTest {

    private static int words(String text) {
        return text.split(" ").length;
    }

    @Test
    void theSameSeedGivesTheSameTextsAndAnotherSeedOthers() {
        List<String> a = LengthMix.texts(7, 20, 2, 60);

        assertThat(LengthMix.texts(7, 20, 2, 60)).isEqualTo(a);
        assertThat(LengthMix.texts(8, 20, 2, 60)).isNotEqualTo(a);
        assertThat(LengthMix.standard()).isEqualTo(LengthMix.texts(LengthMix.SEED, LengthMix.TEXTS,
                LengthMix.MIN_WORDS, LengthMix.MAX_WORDS));
    }

    @Test
    void wordCountsStepEvenlyFromTheShortestToTheLongest() {
        List<String> texts = LengthMix.texts(3, 11, 5, 105);

        assertThat(texts).hasSize(11);
        assertThat(new TreeSet<>(texts.stream().map(LengthMixTest::words).toList()))
                .containsExactly(5, 15, 25, 35, 45, 55, 65, 75, 85, 95, 105);
        // shuffled, not sorted by length
        List<Integer> order = texts.stream().map(LengthMixTest::words).toList();
        assertThat(order).isNotEqualTo(order.stream().sorted().toList());
        assertThat(texts).allSatisfy(t -> assertThat(t).matches("[A-Z][a-z]*( [a-z]+)*\\."));
    }

    @Test
    void theStandardMixSpansAFewTokensToAbout150AsTheModelsTokenizerCountsThem() {
        IntSummaryStatistics tokens = RawEmbedder.tokenize(LengthMix.standard()).stream()
                .mapToInt(t -> t.ids().length).summaryStatistics();

        // every word is one token: n words are n + 3 tokens ([CLS], the words, the full stop, [SEP])
        assertThat(tokens.getMin()).isEqualTo(LengthMix.MIN_WORDS + 3);
        assertThat(tokens.getMax()).isEqualTo(LengthMix.MAX_WORDS + 3);
        assertThat(tokens.getMin()).isLessThanOrEqualTo(5);
        assertThat(tokens.getMax()).isBetween(140, 160);
        assertThat(tokens.getAverage()).isBetween(70.0, 85.0);
    }

    @Test
    void refusesAMixThatCannotSpanARange() {
        assertThatThrownBy(() -> LengthMix.texts(1, 1, 2, 10)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> LengthMix.texts(1, 5, 10, 2)).isInstanceOf(IllegalArgumentException.class);
    }
}
