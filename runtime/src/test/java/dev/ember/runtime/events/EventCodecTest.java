package dev.ember.runtime.events;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.cloudevents.CloudEvent;
import io.cloudevents.core.builder.CloudEventBuilder;
import io.cloudevents.http.HttpMessageFactory;
import io.cloudevents.jackson.JsonFormat;
import jakarta.ws.rs.core.Response;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class EventCodecTest {

    private static final byte[] DATA = "{\"input\": \"hello\"}".getBytes(StandardCharsets.UTF_8);
    private final EventCodec codec = new EventCodec(new dev.ember.runtime.codec.RequestLimits(1000, 8, 1000));

    private static CloudEvent event() {
        return CloudEventBuilder.v1().withId("e-1").withSource(URI.create("/tests")).withType("embed")
                .withSubject("Euro \u20ac").withExtension("traceid", "t1").withData("application/json", DATA).build();
    }

    /** The SDK's own binary encoding, as headers and a body. */
    private static Map.Entry<Map<String, String>, byte[]> binary(CloudEvent e) {
        Map<String, String> headers = new LinkedHashMap<>();
        byte[][] body = new byte[1][];
        HttpMessageFactory.createWriter(headers::put, b -> body[0] = b).writeBinary(e);
        return Map.entry(headers, body[0]);
    }

    private EventCodec.IncomingEvent decode(Map<String, String> headers, byte[] body) {
        return codec.decode(headers.get("Content-Type"), headers.entrySet(), body);
    }

    private static RejectedEventException refusal(Runnable r) {
        try {
            r.run();
        } catch (RejectedEventException e) {
            return e;
        }
        throw new AssertionError("not refused");
    }

    @Test
    void readsBinaryMode() {
        var message = binary(event());
        EventCodec.IncomingEvent in = decode(message.getKey(), message.getValue());
        assertThat(in.mode()).isEqualTo(EventCodec.ContentMode.BINARY);
        assertThat(in.event().getId()).isEqualTo("e-1");
        assertThat(in.event().getSubject()).isEqualTo("Euro \u20ac");
        assertThat(in.event().getExtension("traceid")).isEqualTo("t1");
        assertThat(EventCodec.requestBody(in.event(), "embed")).isEqualTo(DATA);
    }

    @Test
    void readsPercentEncodedHeaders() {
        var message = binary(event());
        Map<String, String> headers = new LinkedHashMap<>(message.getKey());
        headers.put("ce-subject", "Euro%20%E2%82%AC");
        assertThat(decode(headers, message.getValue()).event().getSubject()).isEqualTo("Euro \u20ac");
    }

    @Test
    void readsStructuredModeWithDataOrDataBase64() {
        byte[] json = new JsonFormat().serialize(event());
        EventCodec.IncomingEvent in = decode(Map.of("Content-Type", "application/cloudevents+json; charset=UTF-8"),
                json);
        assertThat(in.mode()).isEqualTo(EventCodec.ContentMode.STRUCTURED);
        assertThat(new String(EventCodec.requestBody(in.event(), "embed"), StandardCharsets.UTF_8))
                .isEqualTo("{\"input\":\"hello\"}");

        byte[] base64 = new JsonFormat(true, false).serialize(event());
        assertThat(new String(base64, StandardCharsets.UTF_8)).contains("\"data_base64\"");
        assertThat(EventCodec.requestBody(decode(Map.of("Content-Type", "application/cloudevents+json"), base64)
                .event(), "embed")).isEqualTo(DATA);
    }

    @Test
    void refusesTheBatchedModeAndOtherFormatsWith415() {
        RejectedEventException batch = refusal(() -> decode(
                Map.of("Content-Type", "application/cloudevents-batch+json"), "[]".getBytes()));
        assertThat(batch.reason).isEqualTo(RejectReason.UNSUPPORTED_MODE);
        assertThat(batch.reason.status).isEqualTo(415);
        assertThat(batch.getMessage()).contains("batched content mode");
        RejectedEventException avro = refusal(() -> decode(Map.of("Content-Type", "application/cloudevents+avro"),
                new byte[] {1}));
        assertThat(avro.reason).isEqualTo(RejectReason.UNSUPPORTED_MODE);
        assertThat(avro.getMessage()).contains("application/cloudevents+avro");
    }

    @Test
    void namesWhatIsWrongWithAnInvalidEvent() {
        var message = binary(event());
        Map<String, String> noId = new LinkedHashMap<>(message.getKey());
        noId.remove("ce-id");
        assertThat(refusal(() -> decode(noId, DATA)).getMessage()).contains("'id'").contains("ce-id");

        Map<String, String> v03 = new LinkedHashMap<>(message.getKey());
        v03.put("ce-specversion", "0.3");
        assertThat(refusal(() -> decode(v03, DATA)).getMessage()).contains("specversion '0.3'");

        Map<String, String> badTime = new LinkedHashMap<>(message.getKey());
        badTime.put("ce-time", "yesterday");
        assertThat(refusal(() -> decode(badTime, DATA)).getMessage()).contains("time");

        assertThat(refusal(() -> decode(Map.of("Content-Type", "application/json"), DATA)).getMessage())
                .contains("not a CloudEvent");

        RejectedEventException missingSource = refusal(() -> decode(Map.of("Content-Type",
                "application/cloudevents+json"), "{\"specversion\":\"1.0\",\"id\":\"1\",\"type\":\"t\"}".getBytes()));
        assertThat(missingSource.reason).isEqualTo(RejectReason.INVALID_EVENT);
        assertThat(missingSource.getMessage()).contains("source");

        assertThat(refusal(() -> decode(Map.of("Content-Type", "application/cloudevents+json"),
                "{\"specversion\":\"2.0\",\"id\":\"1\",\"source\":\"/s\",\"type\":\"t\"}".getBytes())).getMessage())
                .contains("specversion");
        assertThat(refusal(() -> decode(Map.of("Content-Type", "application/cloudevents+json"),
                "{not json".getBytes())).reason).isEqualTo(RejectReason.INVALID_EVENT);
        assertThat(refusal(() -> decode(Map.of("Content-Type", "application/cloudevents+json"),
                "{\"specversion\":\"1.0\",\"id\":\"\",\"source\":\"/s\",\"type\":\"t\"}".getBytes())).getMessage())
                .contains("'id' is empty");
    }

    @Test
    void dataMustBePresentAndJson() {
        CloudEvent none = CloudEventBuilder.v1(event()).withoutData().withoutDataContentType().build();
        assertThat(refusal(() -> EventCodec.requestBody(none, "embed")).reason).isEqualTo(RejectReason.INVALID_DATA);
        CloudEvent text = CloudEventBuilder.v1(event()).withData("text/plain", DATA).build();
        assertThat(refusal(() -> EventCodec.requestBody(text, "embed")).getMessage()).contains("text/plain");
        CloudEvent problem = CloudEventBuilder.v1(event()).withData("application/problem+json; charset=utf-8", DATA)
                .build();
        assertThat(EventCodec.requestBody(problem, "embed")).isEqualTo(DATA);
        byte[] nullData = "{\"specversion\":\"1.0\",\"id\":\"1\",\"source\":\"/s\",\"type\":\"t\",\"data\":null}"
                .getBytes();
        CloudEvent explicitNull = decode(Map.of("Content-Type", "application/cloudevents+json"), nullData).event();
        assertThat(refusal(() -> EventCodec.requestBody(explicitNull, "f")).getMessage()).contains("no data");
        CloudEvent binaryNull = CloudEventBuilder.v1(event()).withData("application/json", " null\n".getBytes())
                .build();
        assertThat(refusal(() -> EventCodec.requestBody(binaryNull, "f")).reason).isEqualTo(RejectReason.INVALID_DATA);
    }

    @Test
    void writesTheReplyInTheModeOfTheRequest() {
        CloudEvent reply = event();
        Response binary = codec.encode(reply, EventCodec.ContentMode.BINARY);
        assertThat(binary.getStatus()).isEqualTo(200);
        assertThat(binary.getHeaderString("Content-Type")).isEqualTo("application/json");
        assertThat(binary.getHeaderString("ce-subject")).isEqualTo("Euro%20%E2%82%AC");
        Map<String, List<String>> headers = new LinkedHashMap<>();
        binary.getStringHeaders().forEach((k, v) -> headers.put(k, new ArrayList<>(v)));
        CloudEvent back = codec.decode(binary.getHeaderString("Content-Type"), flatten(headers),
                (byte[]) binary.getEntity()).event();
        assertThat(back).isEqualTo(reply);

        Response structured = codec.encode(reply, EventCodec.ContentMode.STRUCTURED);
        assertThat(structured.getHeaderString("Content-Type")).isEqualTo("application/cloudevents+json");
        String body = new String((byte[]) structured.getEntity(), StandardCharsets.UTF_8);
        assertThat(body).contains("\"data\":{\"input\": \"hello\"}").doesNotContain("data_base64");
        assertThat(new JsonFormat().deserialize((byte[]) structured.getEntity()).getId()).isEqualTo("e-1");
    }

    private static List<Map.Entry<String, String>> flatten(Map<String, List<String>> headers) {
        List<Map.Entry<String, String>> out = new ArrayList<>();
        headers.forEach((k, vs) -> vs.forEach(v -> out.add(Map.entry(k, v))));
        return out;
    }

    @Test
    void recognisesJsonMediaTypes() {
        assertThat(EventCodec.isJson("application/json")).isTrue();
        assertThat(EventCodec.isJson("Application/JSON; charset=utf-8")).isTrue();
        assertThat(EventCodec.isJson("application/vnd.example+json")).isTrue();
        assertThat(EventCodec.isJson("text/json")).isTrue();
        assertThat(EventCodec.isJson("text/plain")).isFalse();
        assertThat(EventCodec.isJson("application/jsonx")).isFalse();
        assertThat(EventCodec.isJson("json")).isFalse();
    }

    @Test
    void keepsTheReasonAndDropsJacksonLocations() {
        assertThatThrownBy(() -> new JsonFormat().deserialize("{\"specversion\":\"1.0\"}".getBytes()))
                .satisfies(e -> assertThat(EventCodec.reason(e)).isEqualTo("Missing mandatory id attribute"));
    }

    // ---- header encoding and envelope limits (hostile-client findings) ----------------------------------------

    @Test
    void acceptsRawUtf8HeadersAsTheSdksSendThem() {
        var message = binary(event());
        Map<String, String> headers = new LinkedHashMap<>(message.getKey());
        // what the HTTP server hands over for the raw UTF-8 bytes of "grüße": one char per byte
        headers.put("ce-subject", new String("grüße".getBytes(StandardCharsets.UTF_8), StandardCharsets.ISO_8859_1));
        assertThat(decode(headers, message.getValue()).event().getSubject()).isEqualTo("grüße");
    }

    @Test
    void refusesMalformedPercentEncodingNamingTheHeader() {
        var message = binary(event());
        for (String bad : List.of("%ZZ", "%E2%82", "caf%C3", "50%")) {
            Map<String, String> headers = new LinkedHashMap<>(message.getKey());
            headers.put("ce-subject", bad);
            RejectedEventException e = refusal(() -> decode(headers, message.getValue()));
            assertThat(e.reason).as(bad).isEqualTo(RejectReason.INVALID_EVENT);
            assertThat(e.reason.status).isEqualTo(400);
            assertThat(e.getMessage()).as(bad).contains("ce-subject");
        }
    }

    @Test
    void theStructuredEnvelopeObeysTheRequestLimits() {
        String deep = "[".repeat(100) + "]".repeat(100);
        RejectedEventException nesting = refusal(() -> decode(Map.of("Content-Type", "application/cloudevents+json"),
                ("{\"specversion\":\"1.0\",\"id\":\"1\",\"source\":\"/s\",\"type\":\"t\",\"ext\":" + deep + "}")
                        .getBytes(StandardCharsets.UTF_8)));
        assertThat(nesting.reason.status).isEqualTo(400);
        assertThat(nesting.getMessage()).contains("ember.limits.max-json-depth");

        RejectedEventException string = refusal(() -> decode(Map.of("Content-Type", "application/cloudevents+json"),
                ("{\"specversion\":\"1.0\",\"id\":\"1\",\"source\":\"/s\",\"type\":\"t\",\"myext\":\""
                        + "x".repeat(5000) + "\"}").getBytes(StandardCharsets.UTF_8)));
        assertThat(string.reason).isEqualTo(RejectReason.TOO_LARGE);
        assertThat(string.reason.status).isEqualTo(413);
        assertThat(string.getMessage()).contains("ember.limits.max-string-length");
    }

    @Test
    void theStructuredEnvelopeIsExactlyOneDocument() {
        String event = "{\"specversion\":\"1.0\",\"id\":\"1\",\"source\":\"/s\",\"type\":\"t\"}";
        for (String body : List.of(event + " x", event + event, event + "}")) {
            RejectedEventException e = refusal(() -> decode(Map.of("Content-Type", "application/cloudevents+json"),
                    body.getBytes(StandardCharsets.UTF_8)));
            assertThat(e.reason).isEqualTo(RejectReason.INVALID_EVENT);
            assertThat(e.getMessage()).contains("content after the event");
        }
    }
}
