package dev.ember.runtime.pool;

import dev.ember.runtime.api.InvalidInputException;
import dev.ember.runtime.api.ModelId;
import dev.ember.runtime.api.NotFoundException;
import dev.ember.runtime.api.UnavailableException;
import dev.ember.runtime.config.EmberConfig;
import dev.ember.runtime.host.HostFacts;
import dev.ember.runtime.metrics.EmberMeter;
import dev.ember.runtime.onnx.LoadedModel;
import dev.ember.runtime.onnx.NativeThreads;
import dev.ember.runtime.onnx.SessionFactory;
import dev.ember.runtime.repository.ModelCatalog;
import dev.ember.runtime.api.ModelLoadException;
import dev.ember.runtime.repository.ModelFile;
import dev.ember.runtime.repository.ModelSource;
import dev.ember.runtime.tracing.Tracing;
import dev.ember.runtime.traffic.VersionHealth;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.jboss.logging.Logger;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The loaded model versions and their lifecycle: unloaded -> loading -> warm -> draining -> unloaded, or failed.
 * <ul>
 * <li>The first request for an unloaded version starts its load; concurrent requests wait for that same load.</li>
 * <li>A version with no request for its function's {@code idle-timeout} is unloaded by a background sweep.</li>
 * <li>{@code min-warm} versions are pinned: warmed up before they turn warm, never unloaded.</li>
 * <li>Before a load would take the loaded bytes past {@code ember.pool.memory-budget}, the least recently used
 * idle unpinned versions are evicted; when that cannot make room, the load is refused with 503.</li>
 * <li>A version that fails to load stays failed (503, naming the cause) until it is loaded again explicitly, and
 * never affects the others.</li>
 * </ul>
 * Requests hold a {@link ModelLease} while they use a version; a version is idle when none is open, and a drain
 * closes the session only after the last one is closed.
 */
@ApplicationScoped
public class WarmPool implements VersionHealth {

    private static final Logger LOG = Logger.getLogger(WarmPool.class);
    // the first run allocates; the second runs on the allocations a real request will find
    private static final int WARMUP_RUNS = 2;
    private static final Duration RETRY_FAILED = Duration.ofSeconds(30);
    private static final Duration RETRY_BUDGET = Duration.ofSeconds(1);

    private final ModelCatalog catalog;
    private final SessionFactory sessions;
    private final MeterRegistry registry;
    private final EmberConfig config;
    private final WarmUp warmUp;
    private final OptionalLong budget;
    private final ExecutorService loader;
    private final Optional<ScheduledExecutorService> sweeper;
    private final Map<ModelId, Slot> slots = new ConcurrentHashMap<>();
    private final Map<String, FunctionSettings> settings = new ConcurrentHashMap<>();
    private final Set<ModelId> loadedOnce = ConcurrentHashMap.newKeySet();
    private final AtomicInteger warm = new AtomicInteger();
    // bytes of versions loading (reserved), warm or draining: what the budget limits
    private final AtomicLong loadedBytes = new AtomicLong();
    // serialises reservations so that two loads never both take the last room
    private final Object budgetLock = new Object();
    private Tracing tracing = Tracing.OFF;

    WarmPool(ModelCatalog catalog, SessionFactory sessions, MeterRegistry registry, EmberConfig config,
            WarmUp warmUp, HostFacts host) {
        this.catalog = catalog;
        this.sessions = sessions;
        this.registry = registry;
        this.config = config;
        this.warmUp = warmUp;
        this.budget = ModelBudget.of(config.pool().memoryBudget(), host);
        if (budget.isPresent() && budget.getAsLong() <= 0) {
            throw new IllegalArgumentException("ember.pool.memory-budget must be positive; leave it unset for no limit");
        }
        this.loader = Executors.newFixedThreadPool(config.pool().loadThreads(),
                NativeThreads.named("ember-model-loader-"));
        this.sweeper = sweepPeriod(config).map(period -> {
            ScheduledExecutorService s = Executors.newSingleThreadScheduledExecutor(
                    NativeThreads.named("ember-idle-sweeper-"));
            s.scheduleWithFixedDelay(this::sweep, period.toNanos(), period.toNanos(), TimeUnit.NANOSECONDS);
            return s;
        });
        EmberMeter.MODELS_WARM.gauge(registry, Tags.empty(), warm, AtomicInteger::get);
        EmberMeter.POOL_LOADED_BYTES.gauge(registry, Tags.empty(), loadedBytes, AtomicLong::get);
        budget.ifPresent(b -> EmberMeter.POOL_BUDGET_BYTES.gauge(registry, Tags.empty(), () -> b));
    }

    @Inject
    void tracing(Tracing tracing) {
        this.tracing = tracing;
    }

    /** A quarter of the shortest idle timeout (between 10 ms and 10 s); empty when no function has one. */
    private static Optional<Duration> sweepPeriod(EmberConfig config) {
        return config.functions().values().stream().map(EmberConfig.Function::idleTimeout)
                .filter(d -> !d.isZero() && !d.isNegative()).min(Duration::compareTo)
                .map(d -> d.dividedBy(4))
                .map(d -> d.compareTo(Duration.ofMillis(10)) < 0 ? Duration.ofMillis(10) : d)
                .map(d -> d.compareTo(Duration.ofSeconds(10)) > 0 ? Duration.ofSeconds(10) : d);
    }

    /** One version's place in the pool; every field is guarded by the slot's monitor. */
    private static final class Slot {
        final ModelId id;
        Generation current; // loading or warm; null when unloaded or failed
        String error; // why the last load failed; null unless failed
        final List<Generation> draining = new ArrayList<>();
        long lastUsed = System.nanoTime();

        Slot(ModelId id) {
            this.id = id;
        }

        ModelState state() {
            if (current != null) {
                return current.warm ? ModelState.WARM : ModelState.LOADING;
            }
            if (error != null) {
                return ModelState.FAILED;
            }
            return draining.isEmpty() ? ModelState.UNLOADED : ModelState.DRAINING;
        }
    }

    /** One load of a version, from its start to its session's close. */
    private static final class Generation {
        final CompletableFuture<LoadedModel> model = new CompletableFuture<>();
        final CompletableFuture<Void> closed = new CompletableFuture<>();
        int leases; // open leases, guarded by the slot
        boolean warm; // loaded (and warmed up when pinned), guarded by the slot
        String drainReason; // set when the drain starts, guarded by the slot
        volatile long bytes; // reserved against the budget
    }

    /**
     * Leases a version for one request, starting its load when it is not loaded. Throws {@link NotFoundException}
     * for a version the catalog does not have; the lease's model fails with {@link UnavailableException} when the
     * version failed to load or the budget has no room.
     */
    public ModelLease lease(ModelId id) {
        return lease(id, tracing.current());
    }

    /** As {@link #lease(ModelId)}; a load it starts is an {@code ember.load} span, a child of {@code parent}. */
    public ModelLease lease(ModelId id, Tracing.Parent parent) {
        ModelSource source = catalog.find(id).orElseThrow(() -> new NotFoundException("unknown model version " + id));
        Slot slot = slots.computeIfAbsent(id, this::slot);
        synchronized (slot) {
            slot.lastUsed = System.nanoTime();
            if (slot.error != null) {
                return new ModelLease(CompletableFuture.failedFuture(failed(id, slot.error)), false, () -> {
                });
            }
            Generation gen = slot.current != null ? slot.current : startLoad(slot, source, parent);
            gen.leases++;
            return new ModelLease(gen.model.copy(), !gen.warm, () -> release(slot, gen));
        }
    }

    /** The loaded model, loading it first if needed, for a look at it (its signature) rather than a run. */
    public CompletableFuture<LoadedModel> acquire(ModelId id) {
        try (ModelLease lease = lease(id)) {
            return lease.model();
        }
    }

    /** Loads a version now (the management API); a failed version gets a fresh attempt. */
    public CompletableFuture<LoadedModel> load(ModelId id) {
        Slot slot = slots.get(id);
        if (slot != null) {
            synchronized (slot) {
                slot.error = null;
            }
        }
        return acquire(id);
    }

    /**
     * Unloads versions (the management API): each turns draining at once, new requests load it again, and its
     * session closes after the requests holding it finish; completes when all are closed. A loading version is
     * unloaded once its load ends; a failed one becomes unloaded. If any is pinned, none is unloaded.
     */
    public CompletableFuture<Void> unload(List<ModelId> ids) {
        for (ModelId id : ids) {
            if (pinned(id)) {
                throw new InvalidInputException("model " + id + " is pinned (ember.functions." + id.model()
                        + ".min-warm=true): it is never unloaded");
            }
        }
        return CompletableFuture.allOf(ids.stream().map(id -> drain(id, "explicit"))
                .toArray(CompletableFuture[]::new));
    }

    public ModelState state(ModelId id) {
        Slot slot = slots.get(id);
        if (slot == null) {
            return ModelState.UNLOADED;
        }
        synchronized (slot) {
            return slot.state();
        }
    }

    @Override
    public Optional<String> failure(ModelId id) {
        return error(id);
    }

    @Override
    public boolean loadedOnce(ModelId id) {
        return loadedOnce.contains(id);
    }

    /** Why the version failed to load, when it did. */
    public Optional<String> error(ModelId id) {
        Slot slot = slots.get(id);
        if (slot == null) {
            return Optional.empty();
        }
        synchronized (slot) {
            return Optional.ofNullable(slot.error);
        }
    }

    /** Whether the version is {@code min-warm}: loaded at start, warmed up, never unloaded. */
    public boolean pinned(ModelId id) {
        return settings(id.model()).minWarm();
    }

    /** A function's pool settings, read from configuration once. */
    private FunctionSettings settings(String function) {
        return settings.computeIfAbsent(function, f -> {
            EmberConfig.Function c = config.functions().get(f);
            return new FunctionSettings(c.minWarm(), c.idleTimeout());
        });
    }

    private record FunctionSettings(boolean minWarm, Duration idleTimeout) {
    }

    /** Bytes of the versions loading, warm or draining: what {@code ember.pool.memory-budget} limits. */
    public long loadedBytes() {
        return loadedBytes.get();
    }

    private Generation startLoad(Slot slot, ModelSource source, Tracing.Parent parent) {
        Generation gen = new Generation();
        slot.current = gen;
        try {
            loader.execute(() -> traced(slot, source, gen, parent));
        } catch (RejectedExecutionException e) {
            slot.current = null;
            gen.model.completeExceptionally(new UnavailableException("the pool is shutting down", RETRY_BUDGET));
        }
        return gen;
    }

    private void release(Slot slot, Generation gen) {
        boolean close;
        synchronized (slot) {
            gen.leases--;
            slot.lastUsed = System.nanoTime();
            close = gen.drainReason != null && gen.leases == 0;
        }
        if (close) {
            close(slot, gen);
        }
    }

    /** A load in its {@code ember.load} span: the version, the bytes it holds against the budget, where it runs. */
    private void traced(Slot slot, ModelSource source, Generation gen, Tracing.Parent parent) {
        ModelId id = source.id();
        Tracing.Span span = tracing.start("ember.load", parent).attribute("ember.function", id.model())
                .attribute("ember.version", id.version());
        load(slot, source, gen);
        gen.model.whenComplete((model, failure) -> {
            if (failure != null) {
                span.fail(failure);
            } else {
                span.attribute("ember.model.bytes", model.sizeBytes()).attribute("ember.device", model.device());
            }
            span.end();
        });
    }

    private void load(Slot slot, ModelSource source, Generation gen) {
        ModelId id = source.id();
        String version = String.valueOf(id.version());
        long start = System.nanoTime();
        LoadedModel model = null;
        try {
            // the budget is checked against the file's size before anything reads it, then again with its external data
            ModelFile file = source.locate();
            long located = System.nanoTime();
            reserve(id, file.sizeBytes(), gen);
            file = source.verify(file);
            long verified = System.nanoTime();
            reserve(id, file.sizeBytes(), gen);
            LoadedModel created = sessions.create(id, file);
            long sessionReady = System.nanoTime();
            try {
                // what was verified is what ONNX Runtime read: the file did not change in between
                source.confirm(file);
            } catch (ModelLoadException | RuntimeException e) {
                created.close();
                throw e;
            }
            model = created;
            long elapsed = System.nanoTime() - start;
            if (pinned(id)) {
                for (int i = 0; i < WARMUP_RUNS; i++) {
                    warmUp.run(model);
                }
            }
            // the phases of a cold start, for whoever compares it with a bare createSession
            String phases = String.format(" [locate/materialise %d ms, sha256+scan %d ms, createSession %d ms%s]",
                    (located - start) / 1_000_000, (verified - located) / 1_000_000,
                    (sessionReady - verified) / 1_000_000,
                    pinned(id) ? ", warm-up " + (System.nanoTime() - sessionReady) / 1_000_000 + " ms" : "");
            EmberMeter.MODEL_LOAD_DURATION.timer(registry, "function", id.model(), "version", version,
                    "device", model.device()).record(Duration.ofNanos(elapsed));
            loads(id, "success");
            synchronized (slot) {
                gen.warm = true;
                warm.incrementAndGet();
                loadedOnce.add(id);
            }
            LOG.infof("model %s loaded on %s in %d ms (%d bytes)%s%s", id, model.device(), elapsed / 1_000_000,
                    model.sizeBytes(), pinned(id) ? ", warmed up" : "", phases);
            gen.model.complete(model);
        } catch (UnavailableException e) {
            if (model != null || pinned(id)) {
                // a pinned version never gives room back, so waiting would not help it: it fails, with the reason
                fail(slot, source, gen, model, e);
                return;
            }
            // no room in the budget now: the version stays unloaded, a later request tries again
            unreserve(gen);
            loads(id, "rejected");
            synchronized (slot) {
                if (slot.current == gen) {
                    slot.current = null;
                }
            }
            LOG.warnf("model %s not loaded: %s", id, e.getMessage());
            gen.model.completeExceptionally(e);
        } catch (Throwable e) {
            // anything, an Error included (OutOfMemoryError, UnsatisfiedLinkError): a load never stays "loading"
            fail(slot, source, gen, model, e);
        }
    }

    private void fail(Slot slot, ModelSource source, Generation gen, LoadedModel model, Throwable e) {
        ModelId id = source.id();
        if (model != null) {
            try {
                model.close();
            } catch (RuntimeException closing) {
                e.addSuppressed(closing);
            }
        }
        unreserve(gen);
        String cause = e instanceof Error || e.getMessage() == null
                ? e.getClass().getSimpleName() + (e.getMessage() != null ? ": " + e.getMessage() : "")
                : e.getMessage();
        String reason = (model != null ? "warm-up failed: " : "") + cause;
        loads(id, "failure");
        synchronized (slot) {
            if (slot.current == gen) {
                slot.current = null;
                slot.error = reason;
            }
        }
        LOG.errorf("model %s failed to load: %s", id, reason);
        gen.model.completeExceptionally(failed(id, reason));
    }

    /** A new slot; its lifecycle counters start at 0, so their rates read 0 rather than nothing. */
    private Slot slot(ModelId id) {
        String version = String.valueOf(id.version());
        for (String outcome : List.of("success", "failure", "rejected")) {
            EmberMeter.MODEL_LOADS.counter(registry, "function", id.model(), "version", version, "outcome", outcome);
        }
        for (String reason : List.of("idle", "evicted", "explicit", "shutdown")) {
            EmberMeter.MODEL_UNLOADS.counter(registry, "function", id.model(), "version", version, "reason", reason);
        }
        EmberMeter.MODEL_EVICTIONS.counter(registry, "function", id.model(), "version", version);
        return new Slot(id);
    }

    private void loads(ModelId id, String outcome) {
        EmberMeter.MODEL_LOADS.counter(registry, "function", id.model(), "version", String.valueOf(id.version()),
                "outcome", outcome).increment();
    }

    private static UnavailableException failed(ModelId id, String reason) {
        return new UnavailableException("model " + id + " is unavailable: " + reason, RETRY_FAILED);
    }

    /**
     * Counts {@code size} bytes against the budget, first evicting least recently used idle unpinned versions;
     * refuses (503) when even evicting all of them would not make room, without evicting any.
     */
    private void reserve(ModelId id, long total, Generation gen) throws ModelLoadException {
        // what this load holds already (the model file, when its external data is added) stays reserved
        long size = total - gen.bytes;
        if (size <= 0) {
            return;
        }
        if (budget.isEmpty()) {
            loadedBytes.addAndGet(size);
            gen.bytes = total;
            return;
        }
        long limit = budget.getAsLong();
        if (total > limit) {
            throw new ModelLoadException("model " + id + " needs " + total + " bytes, more than the whole "
                    + "ember.pool.memory-budget of " + limit + " bytes");
        }
        synchronized (budgetLock) {
            while (loadedBytes.get() + size > limit) {
                List<Candidate> idle = evictable();
                long freeable = idle.stream().mapToLong(c -> c.gen().bytes).sum();
                if (idle.isEmpty() || loadedBytes.get() - freeable + size > limit) {
                    throw new UnavailableException("model " + id + " needs " + total + " bytes but "
                            + loadedBytes.get() + " of the ember.pool.memory-budget of " + limit
                            + " bytes are held by versions in use, pinned or draining", RETRY_BUDGET);
                }
                Candidate victim = idle.get(0);
                for (Candidate c : idle) {
                    if (c.lastUsed() < victim.lastUsed()) {
                        victim = c;
                    }
                }
                evict(victim, id);
            }
            loadedBytes.addAndGet(size);
            gen.bytes = total;
        }
    }

    private void unreserve(Generation gen) {
        long bytes = gen.bytes;
        gen.bytes = 0;
        loadedBytes.addAndGet(-bytes);
    }

    private record Candidate(Slot slot, Generation gen, long lastUsed) {
    }

    /** Warm versions with no open lease that are not pinned. */
    private List<Candidate> evictable() {
        List<Candidate> idle = new ArrayList<>();
        for (Slot slot : slots.values()) {
            if (pinned(slot.id)) {
                continue;
            }
            synchronized (slot) {
                Generation gen = slot.current;
                if (gen != null && gen.warm && gen.leases == 0) {
                    idle.add(new Candidate(slot, gen, slot.lastUsed));
                }
            }
        }
        return idle;
    }

    private void evict(Candidate victim, ModelId forId) {
        synchronized (victim.slot()) {
            // it may have been leased or unloaded since the snapshot: then the next round chooses again
            if (victim.slot().current != victim.gen() || victim.gen().leases != 0) {
                return;
            }
            startDrain(victim.slot(), victim.gen(), "evicted");
        }
        ModelId id = victim.slot().id;
        EmberMeter.MODEL_EVICTIONS.counter(registry, "function", id.model(), "version", String.valueOf(id.version()))
                .increment();
        LOG.infof("model %s evicted to make room for %s (ember.pool.memory-budget)", id, forId);
        close(victim.slot(), victim.gen());
    }

    /** Takes the warm generation out of service; the caller holds the slot and closes it once it has no lease. */
    private void startDrain(Slot slot, Generation gen, String reason) {
        slot.current = null;
        slot.draining.add(gen);
        gen.drainReason = reason;
        warm.decrementAndGet();
    }

    private void close(Slot slot, Generation gen) {
        LoadedModel model = gen.model.getNow(null);
        model.close();
        unreserve(gen);
        String reason;
        synchronized (slot) {
            slot.draining.remove(gen);
            reason = gen.drainReason;
        }
        ModelId id = slot.id;
        EmberMeter.MODEL_UNLOADS.counter(registry, "function", id.model(), "version", String.valueOf(id.version()),
                "reason", reason).increment();
        LOG.infof("model %s unloaded (%s), %d bytes released", id, reason, model.sizeBytes());
        gen.closed.complete(null);
    }

    private CompletableFuture<Void> drain(ModelId id, String reason) {
        Slot slot = slots.get(id);
        if (slot == null) {
            return CompletableFuture.completedFuture(null);
        }
        Generation gen;
        synchronized (slot) {
            slot.error = null;
            gen = slot.current;
            if (gen == null) {
                return CompletableFuture.allOf(slot.draining.stream().map(g -> g.closed)
                        .toArray(CompletableFuture[]::new));
            }
            if (!gen.warm) {
                return gen.model.handle((m, e) -> null).thenCompose(v -> drain(id, reason));
            }
            startDrain(slot, gen, reason);
            if (gen.leases > 0) {
                LOG.infof("model %s draining: %d requests in flight", id, gen.leases);
                return gen.closed.copy();
            }
        }
        close(slot, gen);
        return gen.closed.copy();
    }

    /** Unloads every unpinned warm version whose function's idle timeout has passed with no lease open. */
    private void sweep() {
        try {
            long now = System.nanoTime();
            for (Slot slot : slots.values()) {
                Duration timeout = settings(slot.id.model()).idleTimeout();
                if (timeout.isZero() || timeout.isNegative() || pinned(slot.id)) {
                    continue;
                }
                Generation idle = null;
                synchronized (slot) {
                    Generation gen = slot.current;
                    if (gen != null && gen.warm && gen.leases == 0 && now - slot.lastUsed >= timeout.toNanos()) {
                        startDrain(slot, gen, "idle");
                        idle = gen;
                    }
                }
                if (idle != null) {
                    close(slot, idle);
                }
            }
        } catch (RuntimeException e) {
            // a failed sweep must not cancel the schedule
            LOG.errorf(e, "idle sweep failed");
        }
    }

    @PreDestroy
    void shutdown() {
        sweeper.ifPresent(ScheduledExecutorService::shutdownNow);
        slots.keySet().forEach(id -> drain(id, "shutdown"));
        loader.shutdownNow();
    }
}
