package dev.ember.runtime.batch;

import dev.ember.runtime.api.ModelId;
import dev.ember.runtime.config.EmberConfig;
import dev.ember.runtime.pool.WarmPool;
import io.micrometer.core.instrument.MeterRegistry;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/** One {@link DynamicBatcher} per model version, configured from its function's settings. */
@ApplicationScoped
public class Batchers {

    private final EmberConfig config;
    private final MeterRegistry registry;
    private final Map<ModelId, DynamicBatcher> batchers = new ConcurrentHashMap<>();
    // threads are bounded by the sum of every version's concurrency; never the event loop
    private final ExecutorService workers;

    Batchers(EmberConfig config, MeterRegistry registry) {
        this.config = config;
        this.registry = registry;
        AtomicInteger n = new AtomicInteger();
        this.workers = Executors.newCachedThreadPool(r -> {
            // sessions run here; ONNX Runtime's native code needs more than the default stack (see WarmPool)
            Thread t = new Thread(null, r, "ember-inference-" + n.incrementAndGet(), WarmPool.NATIVE_STACK_BYTES);
            t.setDaemon(true);
            return t;
        });
    }

    public DynamicBatcher of(ModelId id) {
        return batchers.computeIfAbsent(id, k -> new DynamicBatcher(k, settings(k.model()), workers, registry));
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
