package dev.ember.runtime.batch;

import dev.ember.runtime.api.ModelId;
import dev.ember.runtime.config.EmberConfig;
import dev.ember.runtime.onnx.NativeThreads;
import dev.ember.runtime.onnx.ThreadBudget;
import dev.ember.runtime.tracing.Tracing;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.StartupEvent;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import org.jboss.logging.Logger;

import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/** One {@link DynamicBatcher} per model version, configured from its function's settings. */
@ApplicationScoped
public class Batchers {

    private static final Logger LOG = Logger.getLogger(Batchers.class);

    private final EmberConfig config;
    private final MeterRegistry registry;
    private final Tracing tracing;
    private final Map<ModelId, DynamicBatcher> batchers = new ConcurrentHashMap<>();
    // threads are bounded by the sum of every version's concurrency; never the event loop
    private final ExecutorService workers;

    @Inject
    Batchers(EmberConfig config, MeterRegistry registry, Tracing tracing) {
        this(config, registry, Executors.newCachedThreadPool(NativeThreads.named("ember-inference-")), tracing);
    }

    /** With the given inference threads: tests hold them to fill a queue deterministically. */
    Batchers(EmberConfig config, MeterRegistry registry, ExecutorService workers) {
        this(config, registry, workers, Tracing.OFF);
    }

    private Batchers(EmberConfig config, MeterRegistry registry, ExecutorService workers, Tracing tracing) {
        this.config = config;
        this.registry = registry;
        this.workers = workers;
        this.tracing = tracing;
    }

    public DynamicBatcher of(ModelId id) {
        return batchers.computeIfAbsent(id, k -> new DynamicBatcher(k, settings(k.model()), workers, registry,
                tracing));
    }

    /** The version's batcher once a request has reached it; none before, so reading creates no meters. */
    public Optional<DynamicBatcher> existing(ModelId id) {
        return Optional.ofNullable(batchers.get(id));
    }

    public BatchSettings settings(String function) {
        EmberConfig.Function f = config.functions().get(function);
        return new BatchSettings(f.batch().maxSize(), f.batch().maxDelay(), f.batch().maxTokens(),
                f.batch().maxPadding(), f.queue().maxSize(), ThreadBudget.of(config, function).concurrency(),
                f.batch().dynamicallyQuantized());
    }

    /** Logs the thread budget once at start: the default, and each configured function whose numbers differ. */
    void logThreads(@Observes StartupEvent started) {
        ThreadBudget defaults = ThreadBudget.of(Runtime.getRuntime().availableProcessors(),
                OptionalInt.empty(), config.onnx().intraOpThreads());
        log("threads: " + defaults.describe(), defaults);
        config.functions().forEach((name, f) -> {
            ThreadBudget own = ThreadBudget.of(config, name);
            if (own.concurrency() != defaults.concurrency() || own.intraOpThreads() != defaults.intraOpThreads()) {
                log("threads of function " + name + ": " + own.describe(), own);
            }
        });
    }

    private static void log(String line, ThreadBudget budget) {
        if (budget.exceeded()) {
            LOG.warn(line);
        } else {
            LOG.info(line);
        }
    }

    @PreDestroy
    void shutdown() {
        workers.shutdownNow();
    }
}
