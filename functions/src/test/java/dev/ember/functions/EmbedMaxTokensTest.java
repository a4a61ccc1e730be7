package dev.ember.functions;

import static dev.ember.functions.EmbedFunctionTest.SIX_WORDS;
import static dev.ember.functions.EmbedFunctionTest.TEN_WORDS;
import static dev.ember.functions.EmbedFunctionTest.embed;
import static dev.ember.functions.EmbedFunctionTest.vector;
import static org.assertj.core.api.Assertions.assertThat;

import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.path.json.JsonPath;
import java.util.Map;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.Test;

/**
 * {@code ember.functions.embed.max-tokens} is honoured: the application starts with it set beside the runtime's own
 * {@code ember.functions.embed.*} keys, and texts are cut at 8 tokens.
 */
@QuarkusTest
@TestProfile(EmbedMaxTokensTest.EightTokens.class)
class EmbedMaxTokensTest {

    public static class EightTokens implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("ember.functions.embed.max-tokens", "8");
        }
    }

    @Test
    void textsAreCutAtEightTokensAndSaySo() {
        // ten words are 12 tokens with [CLS] and [SEP]; six words are exactly 8, so not cut
        JsonPath r = embed("{\"input\": [\"" + TEN_WORDS + "\", \"" + SIX_WORDS + "\"]}");
        assertThat(r.getBoolean("data[0].truncated")).isTrue();
        assertThat(r.getString("data[1].truncated")).isNull();
        assertThat(r.getInt("usage.prompt_tokens")).isEqualTo(8 + 8);
        // cut to [CLS] + the first six words + [SEP]: the same tokens as the six words alone, so the same vector
        float[] cut = vector(r, 0);
        float[] six = vector(r, 1);
        assertThat(cut).hasSize(384);
        for (int d = 0; d < cut.length; d++) {
            assertThat(cut[d]).as("dimension %d", d).isCloseTo(six[d], Offset.offset(1e-5f));
        }
    }
}
