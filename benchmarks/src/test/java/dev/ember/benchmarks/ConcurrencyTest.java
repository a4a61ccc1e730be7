package dev.ember.benchmarks;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class ConcurrencyTest {

    @Test
    void findsEmbersPaddingMetersWhateverTheirNames() {
        String exposition = """
                # HELP ember_batch_padded_share Share of padded positions in a run
                # TYPE ember_batch_padded_share histogram
                ember_batch_padded_share_bucket{function="embed",le="0.1"} 3
                ember_batch_padded_share_sum{function="embed"} 0.4
                ember_batch_padded_share_count{function="embed"} 4
                ember_padding_tokens_sum 12
                ember_batch_size_rows_sum{function="embed"} 40
                http_padding_seconds_sum 1
                """;

        assertThat(Concurrency.paddingMeters(exposition))
                .containsExactly("ember_batch_padded_share", "ember_padding_tokens");
    }
}
