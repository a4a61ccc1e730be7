package dev.ember.runtime.batch;

import dev.ember.runtime.api.ModelId;
import dev.ember.runtime.config.EmberConfig;
import dev.ember.runtime.onnx.NativeThreads;
import io.micrometer.core.instrument.MeterRegistry;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/** One {@link DynamicBatcher} per model version, configured from its function's settings. */
@ApplicationScoped
public class Batchers {

    private final EmberConfig config;
    private final MeterRegistry registry;
    private final Map<ModelId, DynamicBatcher> batchers = new ConcurrentHashMap<>();
    // threads are bounded by the sum of every version's concurrency; never the event loop
    private final ExecutorService workers;

    @Inject
    Batchers(EmberConfig config, MeterRegistry registry) {
        this(config, registry, Executors.newCachedThreadPool(NativeThreads.named("ember-inference-")));
    }

    /** With the given inference threads: tests hold them to fill a queue deterministically. */
    Batchers(EmberConfig config, MeterRegistry registry, ExecutorService workers) {
        this.config = config;
        this.registry = registry;
        this.workers = workers;
    }

    public DynamicBatcher of(ModelId id) {
        return batchers.computeIfAbsent(id, k -> new DynamicBatcher(k, settings(k.model()), workers, registry));
    }

    /** The version's batcher once a request has reached it; none before, so reading creates no meters. */
    public Optional<DynamicBatcher> existing(ModelId id) {
        return Optional.ofNullable(batchers.get(id));
    }

    public BatchSettings settings(String function) {
        EmberConfig.Function f = config.functions().get(function);
        return new BatchSettings(f.batch().maxSize(), f.batch().maxDelay(), f.queue().maxSize(), f.concurrency(),
                f.batch().dynamicallyQuantized());
    }

    @PreDestroy
    void shutdown() {
        workers.shutdownNow();
    }
}
