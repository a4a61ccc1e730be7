package dev.ember.knative.rollout;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.mockwebserver.dsl.HttpMethod;
import io.fabric8.mockwebserver.http.Buffer;
import io.fabric8.mockwebserver.http.MockResponse;
import io.fabric8.mockwebserver.http.RecordedRequest;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;

/**
 * fabric8's CRUD dispatcher that also
 * <ul>
 *   <li>records every body written to a Knative Service (create, or update of the Service itself, not its
 *       status), so a test can check each traffic block the rollout tool wrote; and</li>
 *   <li>can lose a race on purpose: when an armed write arrives, another client's edit (a label, as
 *       {@code kubectl label} adds) is stored first, so the write carries a stale resourceVersion and gets 409
 *       Conflict, exactly as when two clients interleave.</li>
 * </ul>
 */
public final class RecordingCrudDispatcher extends KubernetesCrudDispatcher {

    static final String CONCURRENT_LABEL = "example.com/edited-concurrently";

    private final ObjectMapper json = new ObjectMapper();
    private final List<JsonNode> serviceWrites = new CopyOnWriteArrayList<>();
    private final AtomicInteger injected = new AtomicInteger();
    private volatile Predicate<JsonNode> armed = body -> false;
    private final AtomicInteger remaining = new AtomicInteger();

    RecordingCrudDispatcher() {
        super(KnativeMockCluster.servingCrds());
    }

    /** The next {@code times} Service writes whose body matches {@code when} lose a race to a concurrent edit. */
    void loseRaces(Predicate<JsonNode> when, int times) {
        this.armed = when;
        this.remaining.set(times);
    }

    int racesLost() {
        return injected.get();
    }

    /** Service bodies written so far, in order (including writes refused with 409). */
    public List<JsonNode> serviceWrites(String name) {
        return serviceWrites.stream().filter(b -> b.path("metadata").path("name").asText().equals(name)).toList();
    }

    @Override
    public MockResponse handleCreate(RecordedRequest request) {
        if (isServiceWrite(request.getPath())) {
            serviceWrites.add(read(new String(request.getBody().getBytes(), StandardCharsets.UTF_8)));
        }
        return super.handleCreate(request);
    }

    @Override
    public MockResponse handleUpdate(RecordedRequest request) {
        String path = request.getPath();
        if (!isServiceWrite(path)) {
            return super.handleUpdate(request);
        }
        byte[] bytes = request.getBody().getBytes();
        JsonNode body = read(new String(bytes, StandardCharsets.UTF_8));
        serviceWrites.add(body);
        if (armed.test(body) && remaining.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
            Map.Entry<?, String> stored = findResource(getKey(path));
            ObjectNode concurrent = (ObjectNode) read(stored.getValue());
            concurrent.withObject("/metadata").withObject("/labels")
                    .put(CONCURRENT_LABEL, Integer.toString(injected.incrementAndGet()));
            super.handleUpdate(new RecordedRequest("HTTP/1.1", HttpMethod.PUT, path, request.getHeaders(),
                    new Buffer(concurrent.toString().getBytes(StandardCharsets.UTF_8))));
        }
        return super.handleUpdate(new RecordedRequest("HTTP/1.1", HttpMethod.PUT, path, request.getHeaders(),
                new Buffer(bytes)));
    }

    private static boolean isServiceWrite(String path) {
        return path.startsWith(KnativeMockCluster.SERVICES_PATH) && !path.contains("/status");
    }

    private JsonNode read(String text) {
        try {
            return json.readTree(text);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
