package dev.ember.it;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ember.runtime.testing.FixtureModels;
import io.cloudevents.CloudEvent;
import io.cloudevents.SpecVersion;
import io.cloudevents.core.builder.CloudEventBuilder;
import io.cloudevents.core.format.EventFormat;
import io.cloudevents.http.HttpMessageFactory;
import io.cloudevents.jackson.JsonFormat;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.restassured.RestAssured;
import io.restassured.http.ContentType;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@code POST /} with the CloudEvents SDK as the client, in binary and structured mode: the reply's attributes one
 * by one, its data against {@code POST /functions/{f}}, the traffic split, 202 for a no-reply route, every
 * refusal with its acknowledgement code, and valid events answered correctly amid invalid ones.
 */
@QuarkusTest
@TestProfile(EventsProfile.class)
public class CloudEventsTest {

    static final String EMBED_TYPE = "dev.ember.embed.request";
    static final String GUITAR = "A man is playing a guitar.";
    static final ObjectMapper JSON = new ObjectMapper();
    static final EventFormat STRUCTURED_FORMAT = new JsonFormat();
    static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(10)).build();

    enum Mode { BINARY, STRUCTURED }

    /** One HTTP exchange with the sink. */
    record Exchange(int status, HttpHeaders headers, byte[] body) {

        String header(String name) {
            return headers.firstValue(name).orElse(null);
        }

        /** The reply, read by the SDK from either mode. */
        CloudEvent event() {
            return HttpMessageFactory.createReaderFromMultimap(headers.map(), body).toEvent();
        }

        String text() {
            return new String(body, StandardCharsets.UTF_8);
        }
    }

    static Exchange post(Map<String, String> headers, byte[] body) {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(RestAssured.baseURI + ":" + RestAssured.port
                + "/")).timeout(Duration.ofSeconds(60)).POST(HttpRequest.BodyPublishers.ofByteArray(body));
        headers.forEach(request::header);
        try {
            HttpResponse<byte[]> r = HTTP.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
            return new Exchange(r.statusCode(), r.headers(), r.body());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** The SDK's HTTP binding: ce-* headers and the data (binary), or the JSON event format (structured). */
    static Map.Entry<Map<String, String>, byte[]> serialize(CloudEvent event, Mode mode) {
        Map<String, String> headers = new LinkedHashMap<>();
        byte[][] body = {new byte[0]};
        var writer = HttpMessageFactory.createWriter(headers::put,
                b -> body[0] = b == null ? new byte[0] : b);
        if (mode == Mode.BINARY) {
            writer.writeBinary(event);
        } else {
            writer.writeStructured(event, STRUCTURED_FORMAT);
        }
        return Map.entry(headers, body[0]);
    }

    static Exchange send(CloudEvent event, Mode mode) {
        Map.Entry<Map<String, String>, byte[]> message = serialize(event, mode);
        return post(message.getKey(), message.getValue());
    }

    static CloudEventBuilder event(String type, String data) {
        return CloudEventBuilder.v1().withId(UUID.randomUUID().toString())
                .withSource(URI.create("/tests/cloudevents")).withType(type)
                .withData("application/json", data.getBytes(StandardCharsets.UTF_8));
    }

    static String addRequest(float[] a, float[] b) {
        return "{\"inputs\": [{\"name\": \"a\", \"shape\": [1, 3], \"datatype\": \"FP32\", \"data\": "
                + java.util.Arrays.toString(a) + "}, {\"name\": \"b\", \"shape\": [1, 3], \"datatype\": \"FP32\","
                + " \"data\": " + java.util.Arrays.toString(b) + "}]}";
    }

    static JsonNode json(byte[] bytes) {
        try {
            return JSON.readTree(bytes);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Every attribute of a reply, one by one; returns the reply. */
    static CloudEvent assertReply(Exchange r, CloudEvent sent, Mode mode, String type, String function,
            String version) {
        assertThat(r.status()).as(r.text()).isEqualTo(200);
        if (mode == Mode.BINARY) {
            assertThat(r.header("Content-Type")).startsWith("application/json");
            assertThat(r.header("ce-id")).isNotBlank();
        } else {
            assertThat(r.header("Content-Type")).startsWith("application/cloudevents+json");
            assertThat(r.header("ce-id")).isNull();
        }
        CloudEvent reply = r.event();
        assertThat(reply.getSpecVersion()).isEqualTo(SpecVersion.V1);
        assertThat(UUID.fromString(reply.getId()).toString()).isEqualTo(reply.getId());
        assertThat(reply.getId()).isNotEqualTo(sent.getId());
        assertThat(reply.getType()).isEqualTo(type);
        assertThat(reply.getSource()).isEqualTo(URI.create("/functions/" + function + "/versions/" + version));
        assertThat(reply.getSubject()).isEqualTo(sent.getSubject());
        assertThat(reply.getExtension("emberinreplyto")).isEqualTo(sent.getId());
        assertThat(reply.getExtension("emberversion")).isEqualTo(version);
        assertThat(reply.getDataContentType()).isEqualTo("application/json");
        assertThat(reply.getTime()).isNotNull();
        assertThat(reply.getDataSchema()).isNull();
        assertThat(reply.getData()).isNotNull();
        return reply;
    }

    static void assertError(Exchange r, int status, String fragment) {
        assertThat(r.status()).as(r.text()).isEqualTo(status);
        assertThat(r.header("Content-Type")).startsWith("application/json");
        assertThat(r.header("ce-id")).isNull();
        assertThat(json(r.body()).path("error").asText()).contains(fragment);
    }

    static JsonNode http(String path, String body) {
        return json(given().contentType(ContentType.JSON).body(body).post(path).then().statusCode(200).extract()
                .asByteArray());
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void embedRepliesWithTheResultOfTheHttpCall(Mode mode) {
        String request = "{\"input\": \"" + GUITAR + "\"}";
        CloudEvent sent = event(EMBED_TYPE, request).withSubject("sentence-17").withExtension("tenant", "acme")
                .build();
        CloudEvent reply = assertReply(send(sent, mode), sent, mode, EMBED_TYPE + ".result", "embed", "1");
        assertThat(reply.getExtension("tenant")).isNull();
        JsonNode data = json(reply.getData().toBytes());
        assertThat(data.path("data").get(0).path("embedding")).hasSize(384);
        assertThat(data).isEqualTo(http("/functions/embed", request));
    }

    @Test
    void structuredDataBase64IsTheSameRequest() {
        String request = "{\"input\": \"" + GUITAR + "\"}";
        CloudEvent sent = event(EMBED_TYPE, request).build();
        byte[] body = new JsonFormat(true, false).serialize(sent);
        assertThat(json(body).has("data_base64")).isTrue();
        Exchange r = post(Map.of("Content-Type", "application/cloudevents+json; charset=UTF-8"), body);
        CloudEvent reply = assertReply(r, sent, Mode.STRUCTURED, EMBED_TYPE + ".result", "embed", "1");
        assertThat(json(reply.getData().toBytes())).isEqualTo(http("/functions/embed", request));
        // a JSON reply is written as a JSON value, not base64
        assertThat(json(r.body()).path("data").isObject()).isTrue();
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void aTypeWithoutARouteGoesToTheFunctionOfThatName(Mode mode) {
        String request = addRequest(new float[] {1, 2, 3}, new float[] {10, 20, 30});
        CloudEvent sent = event("add", request).build();
        CloudEvent reply = assertReply(send(sent, mode), sent, mode, "add.result", "add", "1");
        JsonNode data = json(reply.getData().toBytes());
        assertThat(data.path("outputs").get(0).path("data").toString()).isEqualTo("[11.0,22.0,33.0]");
        assertThat(data).isEqualTo(http("/functions/add", request));
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void aRouteSetsTheReplyType(Mode mode) {
        CloudEvent sent = event(EventsProfile.SUM, addRequest(new float[] {1, 1, 1}, new float[] {2, 2, 2}))
                .withSubject("batch-9").build();
        CloudEvent reply = assertReply(send(sent, mode), sent, mode, EventsProfile.SUM_REPLY, "add", "1");
        assertThat(json(reply.getData().toBytes()).path("outputs").get(0).path("data").toString())
                .isEqualTo("[3.0,3.0,3.0]");
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void aNoReplyRouteAnswers202WithAnEmptyBody(Mode mode) {
        Exchange r = send(event(EventsProfile.FIRE_AND_FORGET, addRequest(new float[] {1, 2, 3},
                new float[] {1, 2, 3})).build(), mode);
        assertThat(r.status()).isEqualTo(202);
        assertThat(r.body()).isEmpty();
        assertThat(r.header("ce-id")).isNull();
    }

    @Test
    void theTrafficSplitAppliesAndTheReplySaysWhichVersionServed() {
        float[] x = {1, 2, 3, 4};
        String request = "{\"inputs\": [{\"name\": \"x\", \"shape\": [1, 4], \"datatype\": \"FP32\", \"data\": [1, 2, 3, 4]}]}";
        Map<String, float[]> expected = Map.of(
                "1", FixtureModels.applyLinear(x, FixtureModels.LINEAR_W1, FixtureModels.LINEAR_B1),
                "2", FixtureModels.applyLinear(x, FixtureModels.LINEAR_W2, FixtureModels.LINEAR_B2));
        Set<String> served = new HashSet<>();
        for (int i = 0; i < 40; i++) {
            Mode mode = Mode.values()[i % 2];
            CloudEvent sent = event(EventsProfile.LINEAR, request).build();
            Exchange r = send(sent, mode);
            String version = String.valueOf(r.event().getExtension("emberversion"));
            CloudEvent reply = assertReply(r, sent, mode, EventsProfile.LINEAR + ".result", "linear", version);
            JsonNode y = json(reply.getData().toBytes()).path("outputs").get(0).path("data");
            float[] want = expected.get(version);
            assertThat(y).hasSize(2);
            assertThat((float) y.get(0).asDouble()).isEqualTo(want[0]);
            assertThat((float) y.get(1).asDouble()).isEqualTo(want[1]);
            served.add(version);
        }
        // 50/50 over 40 events: one version alone has probability 2^-39
        assertThat(served).containsExactlyInAnyOrder("1", "2");
    }

    @Test
    void aRouteMayPinAVersion() {
        String request = "{\"inputs\": [{\"name\": \"x\", \"shape\": [1, 4], \"datatype\": \"FP32\", \"data\": [1, 2, 3, 4]}]}";
        for (int i = 0; i < 10; i++) {
            Mode mode = Mode.values()[i % 2];
            CloudEvent sent = event(EventsProfile.LINEAR_V1, request).build();
            assertReply(send(sent, mode), sent, mode, EventsProfile.LINEAR_V1 + ".result", "linear", "1");
        }
    }

    @Test
    void headerValuesArePercentEncodedBothWays() {
        CloudEvent sent = event("add", addRequest(new float[] {0, 0, 0}, new float[] {0, 0, 0})).build();
        Map.Entry<Map<String, String>, byte[]> message = serialize(sent, Mode.BINARY);
        Map<String, String> headers = new LinkedHashMap<>(message.getKey());
        headers.put("ce-subject", "Gr%C3%BC%C3%9Fe%20aus%20K%C3%B6ln");
        Exchange binary = post(headers, message.getValue());
        assertThat(binary.status()).isEqualTo(200);
        assertThat(binary.header("ce-subject")).isEqualTo("Gr%C3%BC%C3%9Fe%20aus%20K%C3%B6ln");

        CloudEvent withUmlauts = CloudEventBuilder.v1(sent).withSubject("Grüße aus Köln").build();
        assertThat(send(withUmlauts, Mode.STRUCTURED).event().getSubject()).isEqualTo("Grüße aus Köln");
    }

    @Test
    void rawUtf8HeadersAreAcceptedAsTheSdksSendThem() throws IOException {
        // the Go, Java and JS SDKs put raw UTF-8 in ce-* headers; java.net.http will not send it, so a raw socket does
        CloudEvent sent = event("add", addRequest(new float[] {0, 0, 0}, new float[] {0, 0, 0})).build();
        Map.Entry<Map<String, String>, byte[]> message = serialize(sent, Mode.BINARY);
        StringBuilder head = new StringBuilder("POST / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n");
        message.getKey().forEach((k, v) -> {
            if (!k.equals("ce-id")) {
                head.append(k).append(": ").append(v).append("\r\n");
            }
        });
        head.append("ce-id: événement-7\r\nce-subject: grüße\r\nContent-Length: ").append(message.getValue().length)
                .append("\r\n\r\n");
        try (java.net.Socket socket = new java.net.Socket("127.0.0.1", RestAssured.port)) {
            socket.setSoTimeout(30000);
            socket.getOutputStream().write(head.toString().getBytes(StandardCharsets.UTF_8));
            socket.getOutputStream().write(message.getValue());
            String response = new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(response).startsWith("HTTP/1.1 200");
            // the reply encodes what the HTTP binding requires: everything outside printable ASCII
            assertThat(response).containsIgnoringCase("ce-subject: gr%C3%BC%C3%9Fe\r\n")
                    .containsIgnoringCase("ce-emberinreplyto: %C3%A9v%C3%A9nement-7\r\n");
        }
    }

    @Test
    void optionsSaysPostIsAccepted() {
        given().options("/").then().statusCode(200).header("Allow", org.hamcrest.Matchers.containsString("POST"));
    }

    // ---- refusals -----------------------------------------------------------------------------------------------

    static Map<String, String> binaryHeaders(CloudEvent e) {
        return new LinkedHashMap<>(serialize(e, Mode.BINARY).getKey());
    }

    static Supplier<Exchange> binaryWithout(String header) {
        return () -> {
            CloudEvent e = event(EMBED_TYPE, "{\"input\": \"x\"}").build();
            Map<String, String> headers = binaryHeaders(e);
            headers.remove(header);
            return post(headers, e.getData().toBytes());
        };
    }

    static Supplier<Exchange> binaryWith(String header, String value) {
        return () -> {
            CloudEvent e = event(EMBED_TYPE, "{\"input\": \"x\"}").build();
            Map<String, String> headers = binaryHeaders(e);
            headers.put(header, value);
            return post(headers, e.getData().toBytes());
        };
    }

    static Supplier<Exchange> structured(String contentType, String body) {
        return () -> post(Map.of("Content-Type", contentType), body.getBytes(StandardCharsets.UTF_8));
    }

    static Supplier<Exchange> valid(String type, String data, Mode mode) {
        return () -> send(event(type, data).build(), mode);
    }

    static Stream<Arguments> refusals() {
        String scale = "{\"inputs\": [{\"name\": \"x\", \"shape\": [1, 2], \"datatype\": \"INT64\", \"data\": [1, 2]}]}";
        return Stream.of(
                Arguments.of("binary without ce-id", binaryWithout("ce-id"), 400, "'id' is missing"),
                Arguments.of("binary without ce-source", binaryWithout("ce-source"), 400, "'source' is missing"),
                Arguments.of("binary without ce-type", binaryWithout("ce-type"), 400, "'type' is missing"),
                Arguments.of("binary specversion 0.3", binaryWith("ce-specversion", "0.3"), 400,
                        "specversion '0.3' is not supported"),
                Arguments.of("binary with an invalid time", binaryWith("ce-time", "yesterday"), 400, "time"),
                Arguments.of("binary with malformed percent-encoding", binaryWith("ce-subject", "%ZZ"), 400,
                        "ce-subject"),
                Arguments.of("binary with truncated percent-encoded UTF-8", binaryWith("ce-subject", "%E2%82"), 400,
                        "ce-subject"),
                Arguments.of("structured nesting beyond the limit", structured("application/cloudevents+json",
                        "{\"specversion\": \"1.0\", \"id\": \"1\", \"source\": \"/s\", \"type\": \"embed\","
                                + " \"deep\": " + "[".repeat(1000) + "]".repeat(1000) + "}"), 400,
                        "ember.limits.max-json-depth"),
                Arguments.of("plain JSON, no ce- headers", (Supplier<Exchange>) () -> post(
                        Map.of("Content-Type", "application/json"), "{\"input\": \"x\"}".getBytes()), 400,
                        "not a CloudEvent"),
                Arguments.of("structured without type", structured("application/cloudevents+json",
                        "{\"specversion\": \"1.0\", \"id\": \"1\", \"source\": \"/s\", \"data\": {}}"), 400,
                        "Missing mandatory type attribute"),
                Arguments.of("structured specversion 2.0", structured("application/cloudevents+json",
                        "{\"specversion\": \"2.0\", \"id\": \"1\", \"source\": \"/s\", \"type\": \"embed\"}"), 400,
                        "specversion"),
                Arguments.of("structured, not JSON", structured("application/cloudevents+json", "{\"specversion\":"),
                        400, "invalid CloudEvent"),
                Arguments.of("structured data_base64 not base64", structured("application/cloudevents+json",
                        "{\"specversion\": \"1.0\", \"id\": \"1\", \"source\": \"/s\", \"type\": \"embed\","
                                + " \"data_base64\": \"*not base64*\"}"), 400, "invalid CloudEvent"),
                Arguments.of("binary data not JSON", (Supplier<Exchange>) () -> {
                    CloudEvent e = event(EMBED_TYPE, "{}").build();
                    return post(binaryHeaders(e), "input=x".getBytes());
                }, 400, "malformed JSON"),
                Arguments.of("data declared text/plain", (Supplier<Exchange>) () -> send(event(EMBED_TYPE, "")
                        .withData("text/plain", "hello".getBytes()).build(), Mode.BINARY), 400,
                        "datacontenttype 'text/plain' is not JSON"),
                Arguments.of("no data", (Supplier<Exchange>) () -> send(event(EMBED_TYPE, "").withoutData()
                        .withoutDataContentType().build(), Mode.STRUCTURED), 400, "the event has no data"),
                Arguments.of("data that is JSON null", valid(EMBED_TYPE, "null", Mode.BINARY), 400,
                        "the event has no data"),
                Arguments.of("embed data failing validation", valid(EMBED_TYPE, "{\"input\": []}", Mode.BINARY),
                        400, "empty list"),
                Arguments.of("tensor data failing validation", valid("add", "{\"inputs\": [{\"name\": \"a\","
                        + " \"shape\": [1, 3], \"datatype\": \"FP32\", \"data\": [1, 2, 3]}]}", Mode.STRUCTURED),
                        400, "b"),
                Arguments.of("data beyond the request limits", valid("add", "{\"inputs\": [{\"name\": \"a\","
                        + " \"shape\": [10000000, 3], \"datatype\": \"FP32\", \"data\": [1]}]}", Mode.BINARY), 413,
                        "max-tensor-elements"),
                Arguments.of("batched mode", structured("application/cloudevents-batch+json", "[]"), 415,
                        "batched content mode"),
                Arguments.of("structured format other than JSON", structured("application/cloudevents+xml",
                        "<event/>"), 415, "application/cloudevents+xml"),
                Arguments.of("type no function handles", valid("com.example.unknown", "{}", Mode.BINARY), 422,
                        "no function handles event type 'com.example.unknown'"),
                Arguments.of("route to a missing function", valid(EventsProfile.GONE, "{}", Mode.STRUCTURED), 422,
                        "routed to function 'no_such_function', which does not exist"),
                Arguments.of("route pinned to a missing version", valid(EventsProfile.LINEAR_V9, "{}", Mode.BINARY),
                        422, "has no version 9"),
                Arguments.of("model that failed to load", valid("corrupt", "{\"inputs\": []}", Mode.BINARY), 503,
                        "corrupt"),
                Arguments.of("invocation past its timeout", valid(EventsProfile.SLOW, scale, Mode.STRUCTURED), 504,
                        "scale_int64"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("refusals")
    void everyRefusalHasItsCodeAndAJsonError(String name, Supplier<Exchange> request, int status,
            String fragment) {
        Exchange r = request.get();
        assertError(r, status, fragment);
        if (status == 503) {
            assertThat(Integer.parseInt(r.header("Retry-After"))).isPositive();
        }
    }

    // ---- a stream with invalid events amid valid ones -----------------------------------------------------------

    @Test
    void invalidEventsAmidValidOnesLeaveEveryValidOneAnsweredCorrectly() throws Exception {
        double invalidBefore = Metrics.value("ember_events_rejected_total", "reason", "invalid_event");
        double unroutedBefore = Metrics.value("ember_events_rejected_total", "type", "unrouted", "reason",
                "no_function");
        double repliedBefore = Metrics.value("ember_events_replied_total", "type", EventsProfile.SUM);
        double receivedBefore = Metrics.value("ember_events_received_total", "type", EventsProfile.SUM);
        double timedBefore = Metrics.value("ember_event_processing_seconds_count", "type", EventsProfile.SUM);

        int events = 60;
        ExecutorService senders = Executors.newFixedThreadPool(4);
        try {
            List<Future<?>> results = new ArrayList<>();
            for (int i = 0; i < events; i++) {
                int n = i;
                results.add(senders.submit(() -> exchangeOne(n)));
            }
            for (Future<?> f : results) {
                f.get();
            }
        } finally {
            senders.shutdownNow();
        }
        int invalid = events / 3;
        int valid = events - invalid;
        // the invalid events rotate through four kinds: missing id and bad specversion (invalid_event),
        // unknown type (no_function), unparsable data (invalid_data)
        assertThat(Metrics.value("ember_events_rejected_total", "reason", "invalid_event") - invalidBefore)
                .isEqualTo(10);
        assertThat(Metrics.value("ember_events_rejected_total", "type", "unrouted", "reason", "no_function")
                - unroutedBefore).isEqualTo(5);
        assertThat(Metrics.value("ember_events_replied_total", "type", EventsProfile.SUM) - repliedBefore)
                .isEqualTo(valid);
        // the events with bad data still have a routed type: received and rejected, not replied
        assertThat(Metrics.value("ember_events_received_total", "type", EventsProfile.SUM) - receivedBefore)
                .isEqualTo(valid + 5);
        assertThat(Metrics.value("ember_events_rejected_total", "type", EventsProfile.SUM, "reason",
                "invalid_data")).isGreaterThanOrEqualTo(5);
        assertThat(Metrics.value("ember_event_processing_seconds_count", "type", EventsProfile.SUM) - timedBefore)
                .isEqualTo(valid + 5);
    }

    private static void exchangeOne(int i) {
        Mode mode = Mode.values()[i % 2];
        float[] a = {i, i + 1, i + 2};
        float[] b = {0.5f, 0.25f, -i};
        CloudEvent sent = event(EventsProfile.SUM, addRequest(a, b)).withSubject("item-" + i).build();
        if (i % 3 != 2) {
            CloudEvent reply = assertReply(send(sent, mode), sent, mode, EventsProfile.SUM_REPLY, "add", "1");
            JsonNode sum = json(reply.getData().toBytes()).path("outputs").get(0).path("data");
            for (int k = 0; k < 3; k++) {
                assertThat((float) sum.get(k).asDouble()).as("event %d element %d", i, k).isEqualTo(a[k] + b[k]);
            }
            return;
        }
        switch ((i / 3) % 4) {
            case 0 -> {
                Map<String, String> headers = binaryHeaders(sent);
                headers.remove("ce-id");
                assertError(post(headers, sent.getData().toBytes()), 400, "'id' is missing");
            }
            case 1 -> assertError(send(event("com.example.nobody", "{}").build(), mode), 422, "no function");
            // binary only: the SDK would write this data into a structured event as broken JSON
            case 2 -> assertError(send(event(EventsProfile.SUM, "{\"inputs\": ").build(), Mode.BINARY), 400,
                    "JSON");
            default -> {
                Map<String, String> headers = binaryHeaders(sent);
                headers.put("ce-specversion", "0.3");
                assertError(post(headers, sent.getData().toBytes()), 400, "specversion");
            }
        }
    }
}
