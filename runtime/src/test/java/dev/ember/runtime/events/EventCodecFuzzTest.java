package dev.ember.runtime.events;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.DictionaryEntries;
import com.code_intelligence.jazzer.junit.FuzzTest;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Fuzzes CloudEvents decoding, structured and binary mode, through to the event's data as a function request:
 * every request either yields an event with its required attributes and JSON data, or is refused with a 4xx
 * {@link RejectedEventException}; nothing else escapes.
 */
class EventCodecFuzzTest {

    static final EventCodec CODEC = new EventCodec(new dev.ember.runtime.codec.RequestLimits(1000, 8, 1000));
    static final String[] CONTENT_TYPES = {"application/cloudevents+json", "application/json",
            "application/cloudevents-batch+json", "application/cloudevents+xml", "text/plain", ""};

    @FuzzTest(maxDuration = "5m")
    @DictionaryEntries({"{\"specversion\":\"1.0\"", "\"id\":", "\"source\":", "\"type\":", "\"data\":",
            "\"data_base64\":", "\"datacontenttype\":", "\"application/json\"", "\"subject\":", "\"time\":",
            "\"dataschema\":", "\"0.3\"", "%", "%e2%82%ac", "%zz", "ce-", "null", "[[[["})
    void decode(FuzzedDataProvider data) {
        String contentType = data.pickValue(CONTENT_TYPES) + (data.consumeBoolean() ? "; charset=utf-8" : "");
        List<Map.Entry<String, String>> headers = new ArrayList<>();
        if (data.consumeBoolean()) {
            // binary mode: the required attributes, each possibly missing, repeated or fuzzed
            for (String attribute : new String[] {"specversion", "id", "source", "type"}) {
                if (data.consumeProbabilityDouble() < 0.9) {
                    headers.add(Map.entry("ce-" + attribute, data.consumeBoolean()
                            ? (attribute.equals("specversion") ? "1.0" : "x") : data.consumeString(32)));
                }
            }
            int extra = data.consumeInt(0, 4);
            for (int i = 0; i < extra; i++) {
                headers.add(Map.entry("ce-" + data.consumeAsciiString(12), data.consumeString(32)));
            }
        }
        byte[] body = data.consumeRemainingAsBytes();
        try {
            EventCodec.IncomingEvent in = CODEC.decode(contentType, headers, body);
            assertThat(in.event().getId()).isNotEmpty();
            assertThat(in.event().getType()).isNotEmpty();
            assertThat(in.event().getSource().toString()).isNotEmpty();
            assertThat(EventCodec.requestBody(in.event(), "embed")).isNotNull();
        } catch (RejectedEventException e) {
            assertThat(e.reason.status).isBetween(400, 499);
            assertThat(e.getMessage()).isNotBlank();
        }
    }
}
