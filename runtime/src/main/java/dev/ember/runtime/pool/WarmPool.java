package dev.ember.runtime.pool;

import dev.ember.runtime.api.ModelId;
import dev.ember.runtime.api.NotFoundException;
import dev.ember.runtime.api.UnavailableException;
import dev.ember.runtime.config.EmberConfig;
import dev.ember.runtime.onnx.LoadedModel;
import dev.ember.runtime.onnx.SessionFactory;
import dev.ember.runtime.repository.ModelCatalog;
import dev.ember.runtime.repository.ModelLoadException;
import dev.ember.runtime.repository.ModelSource;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import org.jboss.logging.Logger;

import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The loaded model versions. The first request for an unloaded version starts its load; concurrent requests wait
 * for that same load. A version that fails to load stays failed (503, naming the cause) until it is loaded again
 * explicitly, and never affects the others.
 */
@ApplicationScoped
public class WarmPool {

    private static final Logger LOG = Logger.getLogger(WarmPool.class);

    private final ModelCatalog catalog;
    private final SessionFactory sessions;
    private final MeterRegistry registry;
    private final ExecutorService loader;
    private final Map<ModelId, Slot> slots = new ConcurrentHashMap<>();
    private final AtomicInteger warm = new AtomicInteger();

    WarmPool(ModelCatalog catalog, SessionFactory sessions, MeterRegistry registry, EmberConfig config) {
        this.catalog = catalog;
        this.sessions = sessions;
        this.registry = registry;
        AtomicInteger n = new AtomicInteger();
        this.loader = Executors.newFixedThreadPool(config.pool().loadThreads(), r -> {
            Thread t = new Thread(r, "ember-model-loader-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        registry.gauge("ember.models.warm", warm);
    }

    /** One version's place in the pool; the future is replaced on every (re)load. */
    private static final class Slot {
        volatile ModelState state = ModelState.UNLOADED;
        volatile CompletableFuture<LoadedModel> future;
        volatile String error;
    }

    /** The loaded model, loading it first if needed; completes exceptionally with a typed exception. */
    public CompletableFuture<LoadedModel> acquire(ModelId id) {
        ModelSource source = catalog.find(id).orElseThrow(() -> new NotFoundException("unknown model version " + id));
        Slot slot = slots.computeIfAbsent(id, k -> new Slot());
        synchronized (slot) {
            if (slot.state == ModelState.FAILED) {
                return CompletableFuture.failedFuture(failed(id, slot.error));
            }
            if (slot.future == null || slot.state == ModelState.UNLOADED || slot.state == ModelState.DRAINING) {
                slot.state = ModelState.LOADING;
                slot.future = CompletableFuture.supplyAsync(() -> load(source, slot), loader);
            }
            return slot.future;
        }
    }

    /** Loads a version now (the management API); a failed version gets a fresh attempt. */
    public CompletableFuture<LoadedModel> load(ModelId id) {
        Slot slot = slots.get(id);
        if (slot != null) {
            synchronized (slot) {
                if (slot.state == ModelState.FAILED) {
                    slot.state = ModelState.UNLOADED;
                    slot.error = null;
                }
            }
        }
        return acquire(id);
    }

    public ModelState state(ModelId id) {
        Slot slot = slots.get(id);
        return slot == null ? ModelState.UNLOADED : slot.state;
    }

    /** Why the version failed to load, when it did. */
    public Optional<String> error(ModelId id) {
        Slot slot = slots.get(id);
        return slot == null ? Optional.empty() : Optional.ofNullable(slot.error);
    }

    /** The loaded model if it is warm now, without loading. */
    public Optional<LoadedModel> ifWarm(ModelId id) {
        Slot slot = slots.get(id);
        if (slot == null || slot.state != ModelState.WARM) {
            return Optional.empty();
        }
        return Optional.ofNullable(slot.future.getNow(null));
    }

    private LoadedModel load(ModelSource source, Slot slot) {
        ModelId id = source.id();
        long start = System.nanoTime();
        try {
            LoadedModel model = sessions.create(id, source.read());
            long elapsed = System.nanoTime() - start;
            Timer.builder("ember.model.load.duration").tag("function", id.model())
                    .tag("version", String.valueOf(id.version())).tag("device", model.device())
                    .register(registry).record(Duration.ofNanos(elapsed));
            registry.counter("ember.model.loads", "function", id.model(), "version", String.valueOf(id.version()),
                    "outcome", "success").increment();
            synchronized (slot) {
                slot.state = ModelState.WARM;
                warm.incrementAndGet();
            }
            LOG.infof("model %s loaded on %s in %d ms (%d bytes)", id, model.device(), elapsed / 1_000_000,
                    model.sizeBytes());
            return model;
        } catch (ModelLoadException | ai.onnxruntime.OrtException | RuntimeException e) {
            String reason = e.getMessage();
            registry.counter("ember.model.loads", "function", id.model(), "version", String.valueOf(id.version()),
                    "outcome", "failure").increment();
            synchronized (slot) {
                slot.state = ModelState.FAILED;
                slot.error = reason;
            }
            LOG.errorf("model %s failed to load: %s", id, reason);
            throw new CompletionException(failed(id, reason));
        }
    }

    private static UnavailableException failed(ModelId id, String reason) {
        return new UnavailableException("model " + id + " is unavailable: " + reason, Duration.ofSeconds(30));
    }

    /** Unloads a version: new requests load it again; runs in flight finish on the old session. */
    public boolean unload(ModelId id) {
        Slot slot = slots.get(id);
        if (slot == null) {
            return false;
        }
        LoadedModel model;
        synchronized (slot) {
            if (slot.state != ModelState.WARM) {
                if (slot.state == ModelState.FAILED) {
                    slot.state = ModelState.UNLOADED;
                    slot.error = null;
                    return true;
                }
                return false;
            }
            model = slot.future.getNow(null);
            slot.state = ModelState.UNLOADED;
            slot.future = null;
            warm.decrementAndGet();
        }
        if (model != null) {
            model.close();
            registry.counter("ember.model.unloads", "function", id.model(), "version", String.valueOf(id.version()))
                    .increment();
            LOG.infof("model %s unloaded", id);
        }
        return true;
    }

    @PreDestroy
    void shutdown() {
        slots.keySet().forEach(this::unload);
        loader.shutdownNow();
    }
}
