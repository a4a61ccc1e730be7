package dev.ember.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.restassured.RestAssured;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.Properties;
import org.junit.jupiter.api.Disabled;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The HTTP transport seen by a hostile client over a raw socket: a request the router refuses (HTTP/0.9) gets Ember's
 * JSON error body, not the framework's, a body without a Content-Type is 415, and a client that sends its headers
 * and then stalls is disconnected within the idle timeout.
 */
@QuarkusTest
@TestProfile(TransportProfile.class)
public class TransportTest {

    static final ObjectMapper JSON = new ObjectMapper();

    /** One raw exchange: what the server sent until it closed the connection or stopped sending. */
    record Raw(int status, String head, String body) {

        JsonNode json() throws IOException {
            return JSON.readTree(body);
        }
    }

    static Socket connect() throws IOException {
        Socket socket = new Socket();
        socket.connect(new InetSocketAddress("127.0.0.1", RestAssured.port), 5000);
        socket.setSoTimeout(15000);
        return socket;
    }

    static Raw exchange(String request) throws IOException {
        try (Socket socket = connect()) {
            socket.getOutputStream().write(request.getBytes(StandardCharsets.ISO_8859_1));
            socket.getOutputStream().flush();
            return read(socket.getInputStream());
        }
    }

    static Raw read(InputStream in) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] buffer = new byte[8192];
        try {
            for (int n; (n = in.read(buffer)) >= 0; ) {
                out.write(buffer, 0, n);
                String text = out.toString(StandardCharsets.ISO_8859_1);
                int end = text.indexOf("\r\n\r\n");
                if (end >= 0) {
                    int length = contentLength(text.substring(0, end));
                    if (length >= 0 && out.size() >= end + 4 + length) {
                        break;
                    }
                }
            }
        } catch (SocketTimeoutException | java.net.SocketException e) {
            // what arrived is the answer
        }
        String text = out.toString(StandardCharsets.UTF_8);
        int end = text.indexOf("\r\n\r\n");
        String head = end < 0 ? text : text.substring(0, end);
        String body = end < 0 ? "" : text.substring(end + 4);
        int status = head.startsWith("HTTP/") && head.length() >= 12 ? Integer.parseInt(head.substring(9, 12)) : -1;
        return new Raw(status, head, body);
    }

    static int contentLength(String head) {
        for (String line : head.split("\r\n")) {
            if (line.regionMatches(true, 0, "content-length:", 0, 15)) {
                return Integer.parseInt(line.substring(15).strip());
            }
        }
        return -1;
    }

    /** The error's message: {@code {"error": "..."}}, or OpenAI's {@code {"error": {"message": ...}}} on /v1/*. */
    static String message(JsonNode error) {
        JsonNode e = error.path("error");
        return e.isObject() ? e.path("message").asText() : e.asText();
    }

    static void assertJsonError(Raw r, int status) throws IOException {
        assertThat(r.status()).as(r.head()).isEqualTo(status);
        assertThat(r.head().toLowerCase()).contains("content-type: application/json");
        JsonNode error = r.json();
        assertThat(error.size()).as(r.body()).isEqualTo(1);
        assertThat(message(error)).as(r.body()).isNotBlank();
        assertThat(r.body()).doesNotContain("Exception").doesNotContain("io.").doesNotContain("dev.ember")
                .doesNotContain("stack").doesNotContain("details");
    }

    // Vert.x answers requests its HTTP decoder refuses (a malformed request line or header, or one beyond the
    // decoder's caps of 64K headers and a 16384-character line) itself, with an empty body, through
    // HttpServer.invalidRequestHandler, which Quarkus 3.36 neither sets nor lets an application set before the server
    // listens. Kept as the specification of the wanted behaviour until that hook exists. Within the caps, Ember's own
    // limits (ember.limits.max-header-bytes, max-request-line-length) answer 431 and 414 with JSON.
    static final String NO_HOOK = "needs an invalid-request hook on Quarkus's HTTP server (see the comment above)";

    @Test
    void headersTooLargeAre431WithAJsonError() throws IOException {
        assertJsonError(exchange("GET /v2 HTTP/1.1\r\nHost: x\r\nX-Padding: " + "h".repeat(32 * 1024)
                + "\r\n\r\n"), 431);
    }

    @Test
    void aRequestLineTooLongIs414WithAJsonError() throws IOException {
        assertJsonError(exchange("GET /v2/models/" + "m".repeat(8192) + " HTTP/1.1\r\nHost: x\r\n\r\n"), 414);
    }

    @Test
    void http09IsRefusedWithAJsonError() throws IOException {
        assertJsonError(exchange("GET /v2 HTTP/0.9\r\n\r\n"), 400);
    }

    @ParameterizedTest
    @Disabled(NO_HOOK)
    @ValueSource(strings = {"GET /v2\r\n\r\n", "NOT-HTTP\r\n\r\n", "GET /v2 HTTP/1.1\r\nBad Header Name: x\r\n\r\n"})
    void requestsTheDecoderCannotReadAre400WithAJsonError(String request) throws IOException {
        assertJsonError(exchange(request), 400);
    }

    @ParameterizedTest
    @ValueSource(strings = {"/functions/embed", "/v2/models/add/infer", "/v1/embeddings"})
    void aBodyWithoutAContentTypeIs415(String path) throws IOException {
        String body = path.startsWith("/v2") ? "{\"inputs\": []}" : "{\"input\": \"a\", \"model\": \"embed\"}";
        Raw r = exchange("POST " + path + " HTTP/1.1\r\nHost: x\r\nContent-Length: " + body.length()
                + "\r\nConnection: close\r\n\r\n" + body);
        assertJsonError(r, 415);
        assertThat(message(r.json())).contains("Content-Type");
        if (path.startsWith("/v1/")) {
            assertThat(r.json().at("/error/type").asText()).isEqualTo("invalid_request_error");
        }
    }

    @Test
    void aClientThatStallsAfterItsHeadersIsDisconnectedWithinTheIdleTimeout() throws IOException {
        try (Socket socket = connect()) {
            socket.getOutputStream().write(("POST /functions/embed HTTP/1.1\r\nHost: x\r\n"
                    + "Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"input\":").getBytes(
                    StandardCharsets.ISO_8859_1));
            socket.getOutputStream().flush();
            long start = System.nanoTime();
            Raw r = read(socket.getInputStream());
            double seconds = (System.nanoTime() - start) / 1e9;
            // closed (or answered 408) by the server, not by this client's 15 s read timeout
            assertThat(seconds).as(r.head()).isLessThan(TransportProfile.IDLE_SECONDS + 5.0);
            if (r.status() > 0) {
                assertJsonError(r, 408);
            }
        }
    }

    @Test
    void theShippedIdleTimeoutIsBounded() throws IOException {
        Properties shipped = new Properties();
        try (InputStream in = java.nio.file.Files.newInputStream(java.nio.file.Path.of("..", "functions", "src", "main",
                "resources", "application.properties"))) {
            shipped.load(in);
        }
        String idle = shipped.getProperty("quarkus.http.idle-timeout");
        assertThat(idle).as("quarkus.http.idle-timeout in the shipped application.properties").isNotNull();
        assertThat(java.time.Duration.parse("PT" + idle.toUpperCase())).isBetween(java.time.Duration.ofSeconds(5),
                java.time.Duration.ofMinutes(2));
    }
}
