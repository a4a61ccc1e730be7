package dev.ember.knative.rollout;

import io.fabric8.knative.client.KnativeClient;
import io.fabric8.knative.serving.v1.Service;
import io.fabric8.kubernetes.client.KubernetesClientException;

import java.net.HttpURLConnection;
import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.UnaryOperator;

/**
 * Read-modify-write of a Knative Service with optimistic locking: each attempt reads the latest Service, applies
 * the change to it and writes it back with the resourceVersion it read, so the API server refuses the write (409)
 * if anyone changed the Service in between. The change is then re-applied to the newer Service: edits made by
 * others (labels, env, the controller's status) are kept, and the change can re-check its own preconditions.
 */
public final class ServiceEditor {

    private final KnativeClient client;
    private final String namespace;
    private final int maxAttempts;
    private final Pacer pacer;
    private final AtomicInteger conflicts = new AtomicInteger();

    public ServiceEditor(KnativeClient client, String namespace, int maxAttempts, Pacer pacer) {
        if (maxAttempts < 1) {
            throw new IllegalArgumentException("max attempts must be at least 1");
        }
        this.client = client;
        this.namespace = namespace;
        this.maxAttempts = maxAttempts;
        this.pacer = pacer;
    }

    /**
     * @param change receives the latest Service and returns it changed; it may throw (e.g. a
     *               {@link RolloutTakenOverException}) when its preconditions no longer hold
     * @return the Service as the API server stored it
     */
    public Service edit(String name, UnaryOperator<Service> change) {
        for (int attempt = 1; ; attempt++) {
            Service current = client.services().inNamespace(namespace).withName(name).get();
            if (current == null) {
                throw new RolloutException("Knative Service " + namespace + "/" + name + " not found");
            }
            Service changed = change.apply(current);
            try {
                return client.services().inNamespace(namespace).resource(changed).update();
            } catch (KubernetesClientException e) {
                if (e.getCode() != HttpURLConnection.HTTP_CONFLICT) {
                    throw new RolloutException("writing Knative Service " + namespace + "/" + name + " failed: "
                            + e.getMessage(), e);
                }
                conflicts.incrementAndGet();
                if (attempt >= maxAttempts) {
                    throw new RolloutException("Knative Service " + namespace + "/" + name + " changed under every one of "
                            + maxAttempts + " attempts to write it; giving up", e);
                }
                backOff(attempt);
            }
        }
    }

    /** Writes refused with 409 Conflict and retried so far. */
    public int conflictsRetried() {
        return conflicts.get();
    }

    private void backOff(int attempt) {
        // jitter, so that two writers that collided do not collide again in lockstep
        long millis = Math.min(1000, 20L * attempt) + ThreadLocalRandom.current().nextLong(20);
        try {
            pacer.sleep(Duration.ofMillis(millis));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new RolloutException("interrupted while retrying a conflicting write", e);
        }
    }
}
