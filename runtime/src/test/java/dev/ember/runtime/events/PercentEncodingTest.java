package dev.ember.runtime.events;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class PercentEncodingTest {

    @Test
    void encodesTheSpecExample() {
        assertThat(PercentEncoding.encode("Euro \u20ac \ud83d\ude00")).isEqualTo("Euro%20%E2%82%AC%20%F0%9F%98%80");
    }

    @Test
    void encodesSpaceQuotePercentAndControlCharacters() {
        assertThat(PercentEncoding.encode("a \"b\" 100%\t")).isEqualTo("a%20%22b%22%20100%25%09");
        assertThat(PercentEncoding.encode("/functions/embed/versions/1")).isEqualTo("/functions/embed/versions/1");
    }

    @Test
    void decodesWhatItEncodes() {
        String value = "Euro \u20ac \ud83d\ude00 \"q\" 50%";
        assertThat(PercentEncoding.decode(PercentEncoding.encode(value))).isEqualTo(value);
    }

    @Test
    void acceptsLowerCaseAndUnnecessaryEncoding() {
        assertThat(PercentEncoding.decode("%e2%82%ac%41")).isEqualTo("\u20acA");
    }

    @Test
    void unquotesDoubleQuotedValuesBeforeDecoding() {
        assertThat(PercentEncoding.decode("\"a \\\"b\\\" c%20d\"")).isEqualTo("a \"b\" c d");
    }

    @Test
    void refusesAPercentThatStartsNoEscape() {
        for (String bad : java.util.List.of("%ZZ", "a%ZZb", "100% sure", "50%", "%4", "%G1", "%%")) {
            assertThatThrownBy(() -> PercentEncoding.decode(bad)).as(bad).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("percent-encoding").satisfies(e -> assertThat(e.getMessage())
                            .doesNotContain(bad));
        }
    }

    @Test
    void refusesATruncatedUtf8Sequence() {
        assertThatThrownBy(() -> PercentEncoding.decode("%E2%82")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("UTF-8");
        assertThatThrownBy(() -> PercentEncoding.decode("price %E2%82 only")).isInstanceOf(
                IllegalArgumentException.class).hasMessageContaining("UTF-8");
    }

    @Test
    void acceptsRawUtf8AsTheSdksSendIt() {
        String raw = new String("grüße".getBytes(java.nio.charset.StandardCharsets.UTF_8),
                java.nio.charset.StandardCharsets.ISO_8859_1);
        assertThat(PercentEncoding.decode(raw)).isEqualTo("grüße");
        assertThat(PercentEncoding.decode("grüße")).isEqualTo("grüße");
        assertThat(PercentEncoding.decode("gr%C3%BC%C3%9Fe")).isEqualTo("grüße");
    }

    @Test
    void repliesEncodeOnlyWhatTheBindingRequires() {
        // printable ASCII but space, '"' and '%' stays as it is (HTTP binding 3.1.3.2)
        String printable = "/functions/embed:v1;a=b,c?d&e#f[g]@h!$'()*+~";
        assertThat(PercentEncoding.encode(printable)).isEqualTo(printable);
        assertThat(PercentEncoding.encode("grüße")).isEqualTo("gr%C3%BC%C3%9Fe");
    }

    @Test
    void refusesBytesThatAreNotUtf8() {
        // an overlong encoding of U+0020, which the binding says MUST be rejected
        assertThatThrownBy(() -> PercentEncoding.decode("%C0%A0")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("UTF-8");
        assertThatThrownBy(() -> PercentEncoding.decode("%FF")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void reassemblesRawUtf8ThatTheServerReadAsLatin1() {
        String raw = new String("\u20ac".getBytes(java.nio.charset.StandardCharsets.UTF_8),
                java.nio.charset.StandardCharsets.ISO_8859_1);
        assertThat(PercentEncoding.decode(raw)).isEqualTo("\u20ac");
    }
}
