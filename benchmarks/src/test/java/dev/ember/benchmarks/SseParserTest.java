package dev.ember.benchmarks;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class SseParserTest {

    private static List<SseParser.Event> parse(String... lines) {
        SseParser parser = new SseParser();
        List<SseParser.Event> events = new ArrayList<>();
        for (String line : lines) {
            parser.line(line).ifPresent(events::add);
        }
        return events;
    }

    @Test
    void aBlankLineDispatchesTheDataBeforeIt() {
        assertThat(parse("data: {\"a\":1}", "", "data: [DONE]", ""))
                .containsExactly(new SseParser.Event("message", "{\"a\":1}"), new SseParser.Event("message", "[DONE]"));
    }

    @Test
    void dataLinesOfOneEventJoinWithNewlinesAndOnlyOneLeadingSpaceIsDropped() {
        assertThat(parse("data:first", "data:  second", "data", "")).containsExactly(
                new SseParser.Event("message", "first\n second\n"));
    }

    @Test
    void commentsAndOtherFieldsAreSkippedAndAnEventNameIsKeptForItsEventOnly() {
        assertThat(parse(": keep-alive", "id: 7", "retry: 100", "event: error", "data: {\"error\":{}}", "",
                "data: x", "")).containsExactly(new SseParser.Event("error", "{\"error\":{}}"),
                new SseParser.Event("message", "x"));
    }

    @Test
    void anEventWithoutDataIsNotDispatchedAndAnUnterminatedOneIsPending() {
        SseParser parser = new SseParser();
        assertThat(parser.line("event: ping")).isEmpty();
        assertThat(parser.line("")).isEmpty();
        assertThat(parser.line("data: half")).isEmpty();
        assertThat(parser.pending()).isTrue();
    }
}
