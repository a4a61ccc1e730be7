package dev.ember.runtime.lifecycle;

import dev.ember.runtime.api.ModelId;
import dev.ember.runtime.config.EmberConfig;
import dev.ember.runtime.onnx.NativeLibraries;
import dev.ember.runtime.pool.ModelLease;
import dev.ember.runtime.pool.WarmPool;
import dev.ember.runtime.pool.WarmUp;
import dev.ember.runtime.traffic.TrafficRouter;
import io.quarkus.runtime.StartupEvent;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.interceptor.Interceptor;
import org.jboss.logging.Logger;

import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;

/**
 * What start-up does in the background so that the first request finds a warm model: ONNX Runtime's native
 * libraries load on one thread and the function beans (their tokenizers' native libraries) are created on another,
 * while Quarkus finishes starting; the version with the largest traffic share of each function with
 * {@code warm-at-start=true} (the warm set) loads and runs its function's warm-up request. Readiness waits for the
 * warm set once; a version of it that fails to load is logged and loads on demand later, like any other.
 */
@ApplicationScoped
public class StartupWarmSet {

    private static final Logger LOG = Logger.getLogger(StartupWarmSet.class);
    // as many as a pinned version gets: the first run allocates, the second runs on what a request will find
    private static final int WARMUP_RUNS = 2;

    private final EmberConfig config;
    private final TrafficRouter router;
    private final WarmPool pool;
    private final WarmUp warmUp;
    private final Map<ModelId, CompletableFuture<Void>> pending = new ConcurrentHashMap<>();
    private volatile boolean started;

    StartupWarmSet(EmberConfig config, TrafficRouter router, WarmPool pool, WarmUp warmUp) {
        this.config = config;
        this.router = router;
        this.pool = pool;
        this.warmUp = warmUp;
    }

    // before the other start-up observers (Readiness starts the pinned loads), so their loads find the libraries loading
    void onStart(@Observes @Priority(Interceptor.Priority.PLATFORM_BEFORE) StartupEvent event) {
        start();
    }

    /** Starts the preloads and the warm set's loads; returns at once. */
    public void start() {
        if (started) {
            return;
        }
        background("ember-preload-onnx", NativeLibraries::preload);
        background("ember-preload-functions", warmUp::prepare);
        for (String function : warmSet()) {
            ModelId id;
            try {
                id = router.primary(function);
            } catch (RuntimeException e) {
                LOG.warnf("function %s is warm-at-start but has no model version to load: %s", function, e.getMessage());
                continue;
            }
            pending.put(id, warm(id));
        }
        started = true;
    }

    private List<String> warmSet() {
        return config.functions().entrySet().stream().filter(e -> e.getValue().warmAtStart()).map(Map.Entry::getKey)
                .sorted().toList();
    }

    private CompletableFuture<Void> warm(ModelId id) {
        long start = System.nanoTime();
        ModelLease lease;
        try {
            lease = pool.lease(id);
        } catch (RuntimeException e) {
            LOG.warnf("warm-at-start %s did not load: %s", id, e.getMessage());
            return CompletableFuture.completedFuture(null);
        }
        // the lease keeps the version from being unloaded while it warms up; the warm-up has a thread of its own,
        // never the pool's loader (other loads wait for it) nor the start-up thread (for a model loaded already)
        return lease.model().thenAcceptAsync(model -> {
            for (int i = 0; i < WARMUP_RUNS; i++) {
                warmUp.run(model);
            }
            LOG.infof("warm-at-start %s ready %d ms after start-up began loading it", id,
                    (System.nanoTime() - start) / 1_000_000);
        }, task -> background("ember-warm-up-" + id, task)).exceptionally(e -> {
            LOG.warnf("warm-at-start %s did not load or warm up, it loads on demand: %s", id,
                    e.getCause() != null ? e.getCause().getMessage() : e.getMessage());
            return null;
        }).whenComplete((ignored, e) -> lease.close());
    }

    /** Null once the warm set is loaded and warmed up (or failed), else what it is waiting for. */
    public String notReadyReason() {
        if (!started) {
            return "starting";
        }
        List<ModelId> waiting = pending.entrySet().stream().filter(e -> !e.getValue().isDone()).map(Map.Entry::getKey)
                .sorted((a, b) -> a.toString().compareTo(b.toString())).toList();
        return waiting.isEmpty() ? null : "warm-at-start " + waiting + " loading and warming up";
    }

    private static void background(String name, Runnable task) {
        Thread thread = new Thread(() -> {
            try {
                task.run();
            } catch (RuntimeException | LinkageError e) {
                // a preload only saves time: whatever failed here fails again, with its reason, where it is used
                LOG.warnf("%s failed: %s", name, e.getMessage());
            }
        }, name);
        thread.setDaemon(true);
        thread.start();
    }
}
