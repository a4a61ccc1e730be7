package dev.ember.benchmarks;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

class SseClientTest {

    private static final long MS = 1_000_000;

    /** Each reading is 1 ms after the last, so the stamps say which event was read when. */
    private final Clock clock = new Clock() {
        private long now;

        @Override
        public long nanoTime() {
            return now += MS;
        }

        @Override
        public void sleepUntil(long deadline) {
            throw new UnsupportedOperationException();
        }
    };

    private static InputStream bytes(String s) {
        return new ByteArrayInputStream(s.getBytes(StandardCharsets.UTF_8));
    }

    /** {@code body} as chunks of at most {@code size} bytes, so that lines and events straddle chunk boundaries. */
    private static String chunked(String body, int size) {
        byte[] b = body.getBytes(StandardCharsets.UTF_8);
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < b.length; i += size) {
            int n = Math.min(size, b.length - i);
            out.append(Integer.toHexString(n)).append(";ext=1\r\n")
                    .append(new String(b, i, n, StandardCharsets.UTF_8)).append("\r\n");
        }
        return out.append("0\r\nTrailer: x\r\n\r\n").toString();
    }

    private static final String HEAD = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
            + "Transfer-Encoding: chunked\r\n\r\n";

    @Test
    void aChunkedCompletionStreamGivesItsTextChunksUsageAndFinishReason() throws IOException {
        String events = "data: {\"choices\":[{\"text\":\" aaab\",\"index\":0,\"finish_reason\":null}]}\r\n\r\n"
                + ": comment\n\n"
                + "data: {\"choices\":[{\"text\":\"\",\"index\":0,\"finish_reason\":null}]}\n\n"
                + "data: {\"choices\":[{\"text\":\" caka\",\"index\":0,\"finish_reason\":\"length\"}]}\r\r"
                + "data: {\"choices\":[],\"usage\":{\"prompt_tokens\":78,\"completion_tokens\":3,\"total_tokens\":81}}\n\n"
                + "data: [DONE]\n\n";

        StreamRecord r = SseClient.read(bytes(HEAD + chunked(events, 7)), 0, clock);

        assertThat(r.error()).isNull();
        assertThat(r.complete()).isTrue();
        assertThat(r.text()).isEqualTo(" aaab caka");
        assertThat(r.textNanos()).hasSize(2); // the empty text is not a token's arrival
        assertThat(r.textNanos()[1]).isGreaterThan(r.textNanos()[0]);
        assertThat(r.promptTokens()).isEqualTo(78);
        assertThat(r.completionTokens()).isEqualTo(3);
        assertThat(r.finishReason()).isEqualTo("length");
        assertThat(r.ttftMillis()).isEqualTo(r.textNanos()[0] / 1e6);
    }

    @Test
    void chatDeltasCountAsTextAndAFixedLengthBodyIsReadToItsEnd() throws IOException {
        String events = "data: {\"choices\":[{\"delta\":{\"role\":\"assistant\"},\"index\":0}]}\n\n"
                + "data: {\"choices\":[{\"delta\":{\"content\":\"Hi\"},\"index\":0}]}\n\n"
                + "data: [DONE]\n\n";
        String head = "HTTP/1.1 200 OK\r\nContent-Length: " + events.getBytes(StandardCharsets.UTF_8).length
                + "\r\n\r\n";

        StreamRecord r = SseClient.read(bytes(head + events), 0, clock);

        assertThat(r.text()).isEqualTo("Hi");
        assertThat(r.textNanos()).hasSize(1);
        assertThat(r.error()).isNull();
        assertThat(r.completionTokens()).isEqualTo(-1); // no usage chunk was asked for
        assertThat(r.complete()).isFalse();
    }

    @Test
    void anHttpErrorAnErrorEventAndAStreamWithoutDoneAreFailures() throws IOException {
        String body = "{\"error\":{\"message\":\"max_tokens must be positive\",\"type\":\"invalid_request_error\"}}";
        StreamRecord status = SseClient.read(bytes("HTTP/1.1 400 Bad Request\r\nContent-Length: "
                + body.length() + "\r\n\r\n" + body), 0, clock);
        StreamRecord event = SseClient.read(bytes(HEAD + chunked("data: {\"choices\":[{\"text\":\"a\"}]}\n\n"
                + "event: error\ndata: {\"error\":{\"message\":\"the model failed\"}}\n\ndata: [DONE]\n\n", 64)),
                0, clock);
        StreamRecord cut = SseClient.read(bytes("HTTP/1.1 200 OK\r\n\r\ndata: {\"choices\":[{\"text\":\"a\"}]}\n\n"
                + "data: {\"choi"), 0, clock);

        assertThat(status.error()).startsWith("HTTP 400: ").contains("max_tokens must be positive");
        assertThat(event.error()).isEqualTo("error event: the model failed");
        assertThat(event.text()).isEqualTo("a");
        assertThat(cut.error()).startsWith("the stream ended without [DONE]");
        assertThat(cut.textNanos()).hasSize(1);
        assertThat(status.complete() || event.complete() || cut.complete()).isFalse();
    }

    @Test
    void closingTheHandleCancelsAStreamBlockedOnItsSocket() throws Exception {
        try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            CountDownLatch sentOne = new CountDownLatch(1);
            CompletableFuture<String> request = CompletableFuture.supplyAsync(() -> {
                try (Socket s = server.accept()) {
                    InputStream in = s.getInputStream();
                    String head = SseClient.httpLine(in);
                    for (String line; !(line = SseClient.httpLine(in)).isEmpty(); ) {
                        // headers
                    }
                    in.readNBytes(2); // the body, {}
                    OutputStream out = s.getOutputStream();
                    out.write((HEAD + chunked("data: {\"choices\":[{\"text\":\" x\"}]}\n\n", 100)
                            .replace("0\r\nTrailer: x\r\n\r\n", "")).getBytes(StandardCharsets.UTF_8));
                    out.flush();
                    sentOne.countDown();
                    // then nothing more until the client leaves
                    int b = in.read();
                    return head + " / read " + b;
                } catch (IOException e) {
                    return "server: " + e;
                }
            });
            AtomicReference<Closeable> handle = new AtomicReference<>();
            // the clock is read when the request is sent and then once per event: the second reading is the stamp
            CountDownLatch stamped = new CountDownLatch(2);
            Clock counting = new Clock() {
                @Override
                public long nanoTime() {
                    stamped.countDown();
                    return System.nanoTime();
                }

                @Override
                public void sleepUntil(long deadline) {
                    throw new UnsupportedOperationException();
                }
            };
            CompletableFuture<StreamRecord> stream = CompletableFuture.supplyAsync(() ->
                    new SseClient(server.getLocalPort(), counting, 60_000).stream("/v1/completions",
                            "{}".getBytes(StandardCharsets.UTF_8), handle::set));

            assertThat(sentOne.await(10, TimeUnit.SECONDS)).isTrue();
            assertThat(stamped.await(10, TimeUnit.SECONDS)).isTrue();
            assertThat(stream).isNotDone();
            handle.get().close();
            StreamRecord r = stream.get(10, TimeUnit.SECONDS);

            assertThat(r.cancelled()).isTrue();
            assertThat(r.text()).isEqualTo(" x"); // what came before the cancellation is kept
            assertThat(r.textNanos()).hasSize(1);
            assertThat(r.error()).isNull();
            assertThat(r.complete()).isFalse();
            assertThat(request.get(10, TimeUnit.SECONDS)).isEqualTo("POST /v1/completions HTTP/1.1 / read -1");
        }
    }
}
