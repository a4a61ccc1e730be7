package dev.ember.runtime.generate;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class IncrementalTextTest {

    static List<String> feed(IncrementalText t, String text) {
        List<String> deltas = new ArrayList<>();
        for (long id : FakeDecoder.BYTES.encode(text, false)) {
            String d = t.push(id);
            if (!d.isEmpty()) {
                deltas.add(d);
            }
            if (t.stopped()) {
                break;
            }
        }
        return deltas;
    }

    @Test
    void multiByteCharactersAreReleasedWhole() {
        IncrementalText t = new IncrementalText(FakeDecoder.BYTES, List.of());
        List<String> deltas = feed(t, "a€😀b");
        assertThat(deltas).containsExactly("a", "€", "😀", "b");
        assertThat(t.finish()).isEmpty();
        assertThat(t.text()).isEqualTo("a€😀b");
    }

    @Test
    void aPossibleStopStringIsHeldUntilItIsNotOne() {
        IncrementalText t = new IncrementalText(FakeDecoder.BYTES, List.of("STOP"));
        assertThat(feed(t, "go ST")).containsExactly("g", "o", " ");
        assertThat(t.push('A')).isEqualTo("STA");
        assertThat(feed(t, "STO")).isEmpty();
        assertThat(t.finish()).as("at the end a held prefix is text").isEqualTo("STO");
        assertThat(t.text()).isEqualTo("go STASTO");
        assertThat(t.stopped()).isFalse();
    }

    @Test
    void theTextEndsBeforeTheFirstStopString() {
        IncrementalText t = new IncrementalText(FakeDecoder.BYTES, List.of("world", "lo w", "\n\n"));
        List<String> deltas = feed(t, "hello world, again");
        assertThat(t.stopped()).isTrue();
        assertThat(String.join("", deltas)).isEqualTo("hel");
        assertThat(t.text()).isEqualTo("hel");
        assertThat(t.push('x')).isEmpty();
        assertThat(t.finish()).isEmpty();
    }

    @Test
    void aStopStringOfMultiByteCharacters() {
        IncrementalText t = new IncrementalText(FakeDecoder.BYTES, List.of("€€"));
        List<String> deltas = feed(t, "1€2€€3");
        assertThat(String.join("", deltas)).isEqualTo("1€2");
        assertThat(t.text()).isEqualTo("1€2");
    }

    @Test
    void anIncompleteCharacterAtTheEndIsReplaced() {
        IncrementalText t = new IncrementalText(FakeDecoder.BYTES, List.of());
        t.push('a');
        assertThat(t.push(0xE2)).isEmpty();
        assertThat(t.finish()).isEqualTo("\uFFFD");
        assertThat(t.text()).isEqualTo("a\uFFFD");
    }
}
