package dev.ember.runtime.openai;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ember.runtime.api.ModelId;
import dev.ember.runtime.api.UnavailableException;
import dev.ember.runtime.codec.openai.CompletionBodies;
import dev.ember.runtime.generate.FinishReason;
import dev.ember.runtime.generate.Generation;
import dev.ember.runtime.generate.GenerationResult;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.jboss.resteasy.reactive.server.core.ResteasyReactiveRequestContext;
import org.jboss.resteasy.reactive.server.spi.ServerHttpResponse;
import org.junit.jupiter.api.Test;

/**
 * The SSE framing and flow of a stream, against a fake connection: nothing before the generation is admitted, the
 * chunks in order then [DONE], text coalesced while the socket is full, an error event after the first byte, and a
 * client that leaves cancels the generation.
 */
class EventStreamTest {

    static final ObjectMapper JSON = new ObjectMapper();

    /** A connection that records what is written; its write queue is full while {@code full} is set. */
    static final class FakeResponse implements ServerHttpResponse {
        final ByteArrayOutputStream written = new ByteArrayOutputStream();
        final List<Runnable> drain = new ArrayList<>();
        final List<Runnable> close = new ArrayList<>();
        boolean full;
        boolean ended;
        boolean closed;
        boolean chunked;
        int writes;

        void release() {
            full = false;
            drain.forEach(Runnable::run);
        }

        void disconnect() {
            closed = true;
            close.forEach(Runnable::run);
        }

        String text() {
            return written.toString(StandardCharsets.UTF_8);
        }

        public ServerHttpResponse setStatusCode(int code) {
            return this;
        }

        public ServerHttpResponse end() {
            ended = true;
            return this;
        }

        public boolean headWritten() {
            return writes > 0;
        }

        public ServerHttpResponse end(byte[] data) {
            written.writeBytes(data);
            return end();
        }

        public ServerHttpResponse end(String data) {
            return end(data.getBytes(StandardCharsets.UTF_8));
        }

        public ServerHttpResponse addResponseHeader(CharSequence name, CharSequence value) {
            return this;
        }

        public ServerHttpResponse setResponseHeader(CharSequence name, CharSequence value) {
            return this;
        }

        public ServerHttpResponse setResponseHeader(CharSequence name, Iterable<CharSequence> values) {
            return this;
        }

        public Iterable<Map.Entry<String, String>> getAllResponseHeaders() {
            return List.of();
        }

        public String getResponseHeader(String name) {
            return null;
        }

        public void removeResponseHeader(String name) {
        }

        public boolean closed() {
            return closed;
        }

        public ServerHttpResponse setChunked(boolean chunked) {
            this.chunked = chunked;
            return this;
        }

        public ServerHttpResponse write(byte[] data, Consumer<Throwable> done) {
            write(data);
            done.accept(null);
            return this;
        }

        public CompletionStage<Void> write(byte[] data) {
            assertThat(ended).as("a write after the end").isFalse();
            assertThat(full).as("a write while the write queue is full").isFalse();
            written.writeBytes(data);
            writes++;
            return CompletableFuture.completedFuture(null);
        }

        public ServerHttpResponse sendFile(String path, long offset, long length) {
            throw new UnsupportedOperationException();
        }

        public OutputStream createResponseOutputStream() {
            throw new UnsupportedOperationException();
        }

        public void setPreCommitListener(Consumer<ResteasyReactiveRequestContext> listener) {
        }

        public ServerHttpResponse addCloseHandler(Runnable onClose) {
            close.add(onClose);
            return this;
        }

        public boolean isWriteQueueFull() {
            return full;
        }

        public ServerHttpResponse addDrainHandler(Runnable onDrain) {
            drain.add(onDrain);
            return this;
        }

        public void reset() {
        }
    }

    static final class FakeGeneration implements Generation {
        final AtomicInteger cancelled = new AtomicInteger();

        public ModelId id() {
            return new ModelId("gen", 1);
        }

        public void cancel() {
            cancelled.incrementAndGet();
        }

        public CompletableFuture<GenerationResult> result() {
            return new CompletableFuture<>();
        }
    }

    /** The data lines of the events, in order; asserts the framing of each. */
    static List<String> events(String body) {
        assertThat(body).endsWith("\n\n");
        List<String> data = new ArrayList<>();
        for (String event : body.split("\n\n")) {
            assertThat(event).startsWith("data: ").doesNotContain("\n");
            data.add(event.substring(6));
        }
        return data;
    }

    static JsonNode json(String s) throws Exception {
        return JSON.readTree(s);
    }

    @Test
    void aChatStreamIsRoleDeltasFinishUsageThenDone() throws Exception {
        EventStream stream = EventStream.of(new CompletionBodies(true, "gen", true), true, null);
        FakeResponse out = new FakeResponse();
        // text may arrive before the response is handed over: it waits
        stream.text("Hel");
        assertThat(out.writes).isZero();
        stream.attach(out, new FakeGeneration());
        assertThat(out.chunked).isTrue();
        stream.text("lo");
        stream.text("");
        stream.finished(new GenerationResult("Hello", FinishReason.STOP, 3, 2));
        assertThat(out.ended).isTrue();
        List<String> events = events(out.text());
        assertThat(events).hasSize(6);
        assertThat(json(events.get(0)).at("/choices/0/delta").toString())
                .isEqualTo("{\"role\":\"assistant\",\"content\":\"\"}");
        assertThat(json(events.get(1)).at("/choices/0/delta/content").asText()).isEqualTo("Hel");
        assertThat(json(events.get(2)).at("/choices/0/delta/content").asText()).isEqualTo("lo");
        assertThat(json(events.get(3)).at("/choices/0/finish_reason").asText()).isEqualTo("stop");
        assertThat(json(events.get(4)).path("choices").isEmpty()).isTrue();
        assertThat(json(events.get(4)).at("/usage/total_tokens").asInt()).isEqualTo(5);
        assertThat(events.get(5)).isEqualTo("[DONE]");
    }

    @Test
    void aCompletionStreamHasNoRoleChunk() throws Exception {
        EventStream stream = EventStream.of(new CompletionBodies(false, "gen", false), false, null);
        FakeResponse out = new FakeResponse();
        stream.attach(out, new FakeGeneration());
        stream.text("a");
        stream.finished(new GenerationResult("a", FinishReason.LENGTH, 1, 1));
        List<String> events = events(out.text());
        assertThat(events).hasSize(3);
        assertThat(json(events.get(0)).at("/choices/0/text").asText()).isEqualTo("a");
        assertThat(json(events.get(1)).at("/choices/0/finish_reason").asText()).isEqualTo("length");
        assertThat(events.get(2)).isEqualTo("[DONE]");
    }

    @Test
    void aFullSocketPausesWritingAndTheTextPiledUpGoesAsOneChunk() throws Exception {
        EventStream stream = EventStream.of(new CompletionBodies(false, "gen", false), false, null);
        FakeResponse out = new FakeResponse();
        stream.attach(out, new FakeGeneration());
        stream.text("a");
        out.full = true;
        StringBuilder expected = new StringBuilder("a");
        for (int i = 0; i < 100; i++) {
            stream.text("t" + i);
            expected.append("t").append(i);
        }
        assertThat(out.writes).isEqualTo(1);
        out.release();
        stream.finished(new GenerationResult(expected.toString(), FinishReason.LENGTH, 1, 101));
        List<String> events = events(out.text());
        assertThat(events).hasSize(4);
        StringBuilder joined = new StringBuilder();
        for (String e : events.subList(0, 2)) {
            joined.append(json(e).at("/choices/0/text").asText());
        }
        assertThat(joined.toString()).isEqualTo(expected.toString());
        assertThat(out.ended).isTrue();
    }

    @Test
    void aFailureAfterTheFirstByteIsAnErrorEventAndTheEnd() throws Exception {
        EventStream stream = EventStream.of(new CompletionBodies(true, "gen", false), true, null);
        FakeResponse out = new FakeResponse();
        stream.attach(out, new FakeGeneration());
        stream.text("x");
        stream.failed(new UnavailableException("model gen/1 is draining", Duration.ofSeconds(2)));
        List<String> events = events(out.text());
        assertThat(events).hasSize(3);
        JsonNode error = json(events.get(2)).path("error");
        assertThat(error.path("message").asText()).isEqualTo("model gen/1 is draining");
        assertThat(error.path("type").asText()).isEqualTo("server_error");
        assertThat(error.path("code").asText()).isEqualTo("unavailable");
        assertThat(out.ended).isTrue();
    }

    @Test
    void anInternalFailureSaysNothingOfIt() throws Exception {
        EventStream stream = EventStream.of(new CompletionBodies(false, "gen", false), false, null);
        FakeResponse out = new FakeResponse();
        stream.attach(out, new FakeGeneration());
        stream.failed(new IllegalStateException("ai.onnxruntime.OrtException at /opt/x"));
        assertThat(out.text()).doesNotContain("onnxruntime").doesNotContain("/opt").contains("internal error");
    }

    @Test
    void aClientThatLeavesCancelsTheGenerationAndNothingMoreIsWritten() {
        EventStream stream = EventStream.of(new CompletionBodies(false, "gen", false), false, null);
        FakeResponse out = new FakeResponse();
        FakeGeneration generation = new FakeGeneration();
        stream.attach(out, generation);
        stream.text("a");
        int before = out.writes;
        out.disconnect();
        assertThat(generation.cancelled.get()).isEqualTo(1);
        stream.text("b");
        stream.failed(new java.util.concurrent.CancellationException("cancelled"));
        assertThat(out.writes).isEqualTo(before);
    }

    @Test
    void aCancelledGenerationEndsTheStreamWithoutAnErrorEvent() {
        EventStream stream = EventStream.of(new CompletionBodies(false, "gen", false), false, null);
        FakeResponse out = new FakeResponse();
        stream.attach(out, new FakeGeneration());
        stream.text("a");
        stream.failed(new java.util.concurrent.CompletionException(new java.util.concurrent.CancellationException()));
        assertThat(out.ended).isTrue();
        assertThat(out.text()).doesNotContain("error");
    }
}
