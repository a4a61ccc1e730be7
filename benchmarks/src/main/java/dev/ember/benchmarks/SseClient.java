package dev.ember.benchmarks;

import com.fasterxml.jackson.databind.JsonNode;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.Closeable;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * A streaming OpenAI client over a plain socket (HTTP/1.1, one connection per stream, as an SSE client that keeps a
 * connection per stream does): it stamps each chunk on arrival, with no client library buffering in between, and a
 * stream is cancelled by closing its socket, which ends a read blocked on it at once (the server then sees the client
 * leave). Chunked and fixed-length bodies are both read.
 */
final class SseClient {

    private static final int MAX_ERROR_BODY = 4096;

    private final int port;
    private final Clock clock;
    private final int readTimeoutMillis;

    SseClient(int port, Clock clock, int readTimeoutMillis) {
        this.port = port;
        this.clock = clock;
        this.readTimeoutMillis = readTimeoutMillis;
    }

    /**
     * POSTs {@code body} to {@code path} and reads the event stream to its end; {@code register} gets a handle that
     * cancels the stream from another thread (the record then says {@code cancelled}).
     */
    StreamRecord stream(String path, byte[] body, Consumer<Closeable> register) {
        long sent = clock.nanoTime();
        Accumulator acc = new Accumulator(sent);
        Socket socket = new Socket();
        boolean[] cancelled = {false};
        register.accept(() -> {
            cancelled[0] = true;
            socket.close();
        });
        try (socket) {
            socket.setTcpNoDelay(true);
            socket.setSoTimeout(readTimeoutMillis);
            socket.connect(new java.net.InetSocketAddress(InetAddress.getLoopbackAddress(), port), 5000);
            OutputStream out = socket.getOutputStream();
            out.write(("POST " + path + " HTTP/1.1\r\nHost: 127.0.0.1:" + port + "\r\nContent-Type: application/json\r\n"
                    + "Accept: text/event-stream\r\nContent-Length: " + body.length + "\r\nConnection: close\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            out.write(body);
            out.flush();
            return read(new BufferedInputStream(socket.getInputStream()), clock, acc);
        } catch (IOException | RuntimeException e) {
            // what arrived before a cancellation or a failure still counts (a window counts every chunk in it)
            return acc.failed(clock.nanoTime(), cancelled[0] ? null : e.getClass().getSimpleName() + ": "
                    + e.getMessage(), cancelled[0]);
        }
    }

    /** Reads one HTTP response carrying an OpenAI event stream; the clock stamps each event as its last line ends. */
    static StreamRecord read(InputStream raw, long sent, Clock clock) throws IOException {
        return read(raw, clock, new Accumulator(sent));
    }

    private static StreamRecord read(InputStream raw, Clock clock, Accumulator acc) throws IOException {
        String status = httpLine(raw);
        if (status == null) {
            throw new EOFException("the connection closed before a status line");
        }
        String[] parts = status.split(" ", 3);
        int code = parts.length >= 2 ? Integer.parseInt(parts[1]) : -1;
        boolean chunked = false;
        long length = -1;
        for (String header; (header = httpLine(raw)) != null && !header.isEmpty(); ) {
            int colon = header.indexOf(':');
            if (colon < 0) {
                continue;
            }
            String name = header.substring(0, colon).trim().toLowerCase(Locale.ROOT);
            String value = header.substring(colon + 1).trim();
            if (name.equals("transfer-encoding") && value.toLowerCase(Locale.ROOT).contains("chunked")) {
                chunked = true;
            } else if (name.equals("content-length")) {
                length = Long.parseLong(value);
            }
        }
        InputStream body = chunked ? new ChunkedInputStream(raw) : length >= 0 ? new LimitedInputStream(raw, length)
                : raw;
        if (code != 200) {
            byte[] text = body.readNBytes(MAX_ERROR_BODY);
            return acc.failed(clock.nanoTime(), "HTTP " + code + ": " + new String(text, StandardCharsets.UTF_8).strip(),
                    false);
        }
        SseParser parser = new SseParser();
        LineReader lines = new LineReader(body);
        for (String line; (line = lines.next()) != null; ) {
            Optional<SseParser.Event> event = parser.line(line);
            if (event.isPresent() && acc.event(event.get(), clock.nanoTime())) {
                return acc.done(clock.nanoTime());
            }
        }
        return acc.failed(clock.nanoTime(), "the stream ended without [DONE]" + (parser.pending()
                ? " (an event without its blank line)" : ""), false);
    }

    /** One line of the HTTP head or of the chunk framing: up to {@code \n}, a {@code \r} before it dropped; null at the end. */
    static String httpLine(InputStream in) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(64);
        int b;
        while ((b = in.read()) != -1 && b != '\n') {
            bytes.write(b);
        }
        if (b == -1 && bytes.size() == 0) {
            return null;
        }
        byte[] line = bytes.toByteArray();
        int n = line.length > 0 && line[line.length - 1] == '\r' ? line.length - 1 : line.length;
        return new String(line, 0, n, StandardCharsets.US_ASCII);
    }

    /**
     * Lines of an event stream, which may end in {@code \r\n}, {@code \n} or {@code \r}: a {@code \r} ends the line at
     * once (the client must not wait for the next byte to stamp it) and a {@code \n} right after it is skipped.
     */
    static final class LineReader {
        private final InputStream in;
        private boolean skipLf;

        LineReader(InputStream in) {
            this.in = in;
        }

        /** The next line, UTF-8, without its terminator; null at the end of the stream. */
        String next() throws IOException {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream(128);
            int b;
            while ((b = in.read()) != -1) {
                if (skipLf) {
                    skipLf = false;
                    if (b == '\n') {
                        continue;
                    }
                }
                if (b == '\n') {
                    return bytes.toString(StandardCharsets.UTF_8);
                }
                if (b == '\r') {
                    skipLf = true;
                    return bytes.toString(StandardCharsets.UTF_8);
                }
                bytes.write(b);
            }
            return bytes.size() == 0 ? null : bytes.toString(StandardCharsets.UTF_8);
        }
    }

    /** What the events of one stream said so far. */
    private static final class Accumulator {
        private final long sent;
        private long[] texts = new long[256];
        private int textCount;
        private final StringBuilder text = new StringBuilder();
        private int promptTokens = -1;
        private int completionTokens = -1;
        private String finishReason;
        private String error;

        Accumulator(long sent) {
            this.sent = sent;
        }

        /** Takes one event; true when it was {@code [DONE]}. */
        boolean event(SseParser.Event event, long at) throws IOException {
            String data = event.data().strip();
            if (data.equals("[DONE]")) {
                return true;
            }
            JsonNode chunk = Harness.JSON.readTree(data);
            if (chunk.has("error") || event.type().equals("error")) {
                JsonNode message = chunk.path("error").path("message");
                error = "error event: " + (message.isTextual() ? message.asText() : data);
                return false;
            }
            StringBuilder delta = new StringBuilder();
            for (JsonNode choice : chunk.path("choices")) {
                // completions carry "text", chat completions "delta.content"
                JsonNode piece = choice.has("text") ? choice.get("text") : choice.path("delta").path("content");
                if (piece.isTextual()) {
                    delta.append(piece.asText());
                }
                JsonNode reason = choice.path("finish_reason");
                if (reason.isTextual()) {
                    finishReason = reason.asText();
                }
            }
            if (delta.length() > 0) {
                if (textCount == texts.length) {
                    texts = Arrays.copyOf(texts, texts.length * 2);
                }
                texts[textCount++] = at;
                text.append(delta);
            }
            JsonNode usage = chunk.path("usage");
            if (usage.isObject()) {
                promptTokens = usage.path("prompt_tokens").asInt(-1);
                completionTokens = usage.path("completion_tokens").asInt(-1);
            }
            return false;
        }

        StreamRecord done(long end) {
            return new StreamRecord(sent, Arrays.copyOf(texts, textCount), end, promptTokens, completionTokens,
                    finishReason, text.toString(), error, false);
        }

        StreamRecord failed(long end, String why, boolean cancelled) {
            return new StreamRecord(sent, Arrays.copyOf(texts, textCount), end, promptTokens, completionTokens,
                    finishReason, text.toString(), error != null ? error : why, cancelled);
        }
    }

    /** The body of a {@code Transfer-Encoding: chunked} response, decoded (chunk extensions and trailers skipped). */
    static final class ChunkedInputStream extends InputStream {
        private final InputStream in;
        private long left;
        private boolean ended;

        ChunkedInputStream(InputStream in) {
            this.in = in;
        }

        @Override
        public int read() throws IOException {
            if (!ready()) {
                return -1;
            }
            int b = in.read();
            if (b == -1) {
                throw new EOFException("the connection closed inside a chunk");
            }
            left--;
            return b;
        }

        @Override
        public int read(byte[] buffer, int offset, int length) throws IOException {
            if (length == 0) {
                return 0;
            }
            if (!ready()) {
                return -1;
            }
            int n = in.read(buffer, offset, (int) Math.min(length, left));
            if (n == -1) {
                throw new EOFException("the connection closed inside a chunk");
            }
            left -= n;
            return n;
        }

        /** Whether bytes of a chunk are there to read: reads the next chunk's size line when the last one is used up. */
        private boolean ready() throws IOException {
            if (ended) {
                return false;
            }
            if (left > 0) {
                return true;
            }
            if (left == 0 && started) {
                String crlf = httpLine(in);
                if (crlf == null) {
                    throw new EOFException("the connection closed after a chunk");
                }
            }
            started = true;
            String size = httpLine(in);
            if (size == null) {
                throw new EOFException("the connection closed before a chunk size");
            }
            int semicolon = size.indexOf(';');
            left = Long.parseLong((semicolon < 0 ? size : size.substring(0, semicolon)).trim(), 16);
            if (left == 0) {
                ended = true;
                while (true) {
                    String trailer = httpLine(in);
                    if (trailer == null || trailer.isEmpty()) {
                        break;
                    }
                }
                return false;
            }
            return true;
        }

        private boolean started;
    }

    /** The first {@code length} bytes of a stream. */
    private static final class LimitedInputStream extends InputStream {
        private final InputStream in;
        private long left;

        LimitedInputStream(InputStream in, long length) {
            this.in = in;
            this.left = length;
        }

        @Override
        public int read() throws IOException {
            if (left <= 0) {
                return -1;
            }
            int b = in.read();
            if (b != -1) {
                left--;
            }
            return b;
        }

    }
}
