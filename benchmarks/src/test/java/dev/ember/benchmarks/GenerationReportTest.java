package dev.ember.benchmarks;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class GenerationReportTest {

    private static final String BLOCK = GenerationReport.BEGIN + "\n## Generation\n\nnew figures\n" + GenerationReport.END;

    @Test
    void theBlockReplacesOnlyTheOldBlock() {
        String existing = "# Ember benchmarks\n\n## 1. One client\n\nold\n\n" + GenerationReport.BEGIN
                + "\n## Generation\n\nold figures\n" + GenerationReport.END + "\n\n## Later\n\nkept\n";

        String spliced = GenerationReport.splice(existing, BLOCK);

        assertThat(spliced).isEqualTo("# Ember benchmarks\n\n## 1. One client\n\nold\n\n" + BLOCK
                + "\n\n## Later\n\nkept\n");
    }

    @Test
    void withoutABlockItIsAppendedAfterABlankLine() {
        assertThat(GenerationReport.splice("# Ember benchmarks\n\n## 1\n\nx", BLOCK))
                .isEqualTo("# Ember benchmarks\n\n## 1\n\nx\n\n" + BLOCK + "\n");
        assertThat(GenerationReport.splice("", BLOCK)).isEqualTo(BLOCK + "\n");
    }

    @Test
    void aFullRunKeepsTheBlockOfThePreviousFile() {
        String previous = "# old\n\n" + BLOCK + "\n";
        String rewritten = "# Ember benchmarks\n\n## 0. Start-up\n\nfigures\n";

        String kept = GenerationReport.splice(rewritten, GenerationReport.blockOf(previous));

        assertThat(kept).isEqualTo(rewritten + "\n" + BLOCK + "\n");
        assertThat(GenerationReport.blockOf("# no block\n")).isEmpty();
    }

    @Test
    void commonPrefixCountsEqualLeadingCharacters() {
        assertThat(GenerationReport.commonPrefix(" aaab caka", " aaab cakb")).isEqualTo(9);
        assertThat(GenerationReport.commonPrefix("same", "same")).isEqualTo(4);
        assertThat(GenerationReport.commonPrefix("", "x")).isZero();
    }
}
