package dev.ember.runtime.invoke;

import dev.ember.runtime.api.ModelId;
import dev.ember.runtime.metrics.EmberMeter;
import io.micrometer.core.instrument.MeterRegistry;
import jakarta.enterprise.context.ApplicationScoped;

import java.util.Arrays;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * The invocation meters: invocations and their duration by outcome, the time in each phase outside the queue and
 * the model run (load, preprocess, postprocess; the batcher measures queue wait and inference), and cold starts.
 * A version's counters exist at 0 from its first sight, so an error rate reads 0 rather than nothing.
 */
@ApplicationScoped
public class InvocationMetrics {

    static final String SUCCESS = "success";

    private final MeterRegistry registry;
    private final Set<ModelId> seen = ConcurrentHashMap.newKeySet();

    InvocationMetrics(MeterRegistry registry) {
        this.registry = registry;
    }

    /** Registers the version's counters at 0; cheap when they exist. */
    void appeared(ModelId id) {
        if (!seen.add(id)) {
            return;
        }
        String function = id.model();
        String version = String.valueOf(id.version());
        EmberMeter.INVOCATIONS.counter(registry, "function", function, "version", version, "outcome", SUCCESS);
        Arrays.stream(Failure.values()).map(f -> f.outcome).distinct().forEach(outcome -> EmberMeter.INVOCATIONS
                .counter(registry, "function", function, "version", version, "outcome", outcome));
        EmberMeter.COLD_STARTS.counter(registry, "function", function, "version", version);
    }

    void record(ModelId id, String outcome, long nanos) {
        String version = String.valueOf(id.version());
        EmberMeter.INVOCATIONS.counter(registry, "function", id.model(), "version", version, "outcome", outcome)
                .increment();
        EmberMeter.INVOCATION_DURATION.timer(registry, "function", id.model(), "version", version, "outcome", outcome)
                .record(nanos, TimeUnit.NANOSECONDS);
    }

    void phase(ModelId id, String phase, long nanos) {
        EmberMeter.INVOCATION_PHASE.timer(registry, "function", id.model(), "version", String.valueOf(id.version()),
                "phase", phase).record(nanos, TimeUnit.NANOSECONDS);
    }

    void coldStart(ModelId id) {
        EmberMeter.COLD_STARTS.counter(registry, "function", id.model(), "version", String.valueOf(id.version()))
                .increment();
    }
}
