package dev.ember.runtime.pool;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ember.runtime.api.InvalidInputException;
import dev.ember.runtime.api.ModelId;
import dev.ember.runtime.api.NotFoundException;
import dev.ember.runtime.api.Tensor;
import dev.ember.runtime.api.UnavailableException;
import dev.ember.runtime.onnx.LoadedModel;
import dev.ember.runtime.testing.FixtureModels;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class WarmPoolTest {

    static final ModelId ADD = new ModelId("add", 1);
    static final ModelId A = new ModelId("a", 1);
    static final ModelId B = new ModelId("b", 1);
    static final ModelId C = new ModelId("c", 1);
    static final byte[] CHAIN = FixtureModels.matmulChain(1, 32);
    static final long SIZE = CHAIN.length;

    @TempDir
    Path root;
    PoolFixture fixture;

    PoolFixture pool(Map<String, byte[]> models, Map<String, String> properties) {
        fixture = new PoolFixture(root, models, properties);
        return fixture;
    }

    @AfterEach
    void close() {
        if (fixture != null) {
            fixture.close();
        }
    }

    static LoadedModel model(ModelLease lease) throws Exception {
        return lease.model().get(30, TimeUnit.SECONDS);
    }

    static void await(String what, BooleanSupplier condition) throws InterruptedException {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
        while (!condition.getAsBoolean()) {
            assertThat(System.nanoTime() - end).as("waiting for " + what).isNegative();
            Thread.sleep(10);
        }
    }

    @Test
    void concurrentRequestsToAColdVersionShareOneLoad() throws Exception {
        ModelId big = new ModelId("big", 1);
        PoolFixture f = pool(Map.of("big", FixtureModels.matmulChain(4, 256)), Map.of());
        int n = 32;
        ExecutorService clients = Executors.newFixedThreadPool(n);
        CountDownLatch go = new CountDownLatch(1);
        List<Future<ModelLease>> leases = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            leases.add(clients.submit(() -> {
                go.await();
                return f.pool.lease(big);
            }));
        }
        go.countDown();
        List<LoadedModel> models = new ArrayList<>();
        int cold = 0;
        for (Future<ModelLease> lease : leases) {
            models.add(model(lease.get()));
            cold += lease.get().cold() ? 1 : 0;
        }
        clients.shutdown();

        assertThat(models).allSatisfy(m -> assertThat(m).isSameAs(models.get(0)));
        assertThat(f.count("ember.model.loads", "function", "big", "outcome", "success")).isEqualTo(1);
        assertThat(cold).isBetween(1, n);
        try (ModelLease warm = f.pool.lease(big)) {
            assertThat(warm.cold()).isFalse();
            assertThat(model(warm)).isSameAs(models.get(0));
        }
        for (Future<ModelLease> lease : leases) {
            lease.get().close();
        }
        assertThat(f.count("ember.model.loads")).isEqualTo(1);
        assertThat(f.registry.get("ember.models.warm").gauge().value()).isEqualTo(1);
        assertThat(f.pool.loadedBytes()).isEqualTo(models.get(0).sizeBytes());
    }

    @Test
    void anIdleVersionUnloadsAfterItsTimeoutAndLoadsAgainOnTheNextRequest() throws Exception {
        PoolFixture f = pool(Map.of("add", FixtureModels.add()), Map.of("ember.functions.add.idle-timeout", "100ms"));
        LoadedModel first;
        try (ModelLease lease = f.pool.lease(ADD)) {
            first = model(lease);
        }
        assertThat(f.pool.state(ADD)).isEqualTo(ModelState.WARM);

        await("the idle unload", () -> f.pool.state(ADD) == ModelState.UNLOADED);
        assertThat(first.isClosed()).isTrue();
        assertThat(f.count("ember.model.unloads", "function", "add", "reason", "idle")).isEqualTo(1);
        assertThat(f.registry.get("ember.models.warm").gauge().value()).isZero();
        assertThat(f.registry.get("ember.pool.loaded.bytes").gauge().value()).isZero();

        try (ModelLease lease = f.pool.lease(ADD)) {
            assertThat(lease.cold()).isTrue();
            LoadedModel second = model(lease);
            assertThat(second).isNotSameAs(first);
            assertThat(second.run(Map.of("a", Tensor.ofFloats(new long[] {1, 3}, new float[] {1, 2, 3}),
                    "b", Tensor.ofFloats(new long[] {1, 3}, new float[] {1, 1, 1})), Set.of())
                    .get("sum").floats().get(2)).isEqualTo(4f);
        }
        assertThat(f.count("ember.model.loads", "function", "add", "outcome", "success")).isEqualTo(2);
    }

    @Test
    void aVersionWithARequestInFlightIsNotIdle() throws Exception {
        PoolFixture f = pool(Map.of("add", FixtureModels.add()), Map.of("ember.functions.add.idle-timeout", "50ms"));
        ModelLease lease = f.pool.lease(ADD);
        LoadedModel model = model(lease);
        Thread.sleep(500); // ten idle timeouts, forty sweeps
        assertThat(f.pool.state(ADD)).isEqualTo(ModelState.WARM);
        assertThat(model.isClosed()).isFalse();

        lease.close();
        await("the idle unload", () -> f.pool.state(ADD) == ModelState.UNLOADED);
        assertThat(model.isClosed()).isTrue();
    }

    @Test
    void idleTimeoutZeroNeverUnloads() throws Exception {
        PoolFixture f = pool(Map.of("add", FixtureModels.add(), "a", CHAIN),
                Map.of("ember.functions.a.idle-timeout", "20ms"));
        f.pool.acquire(ADD).get();
        f.pool.acquire(A).get();
        await("the idle unload of a", () -> f.pool.state(A) == ModelState.UNLOADED);
        Thread.sleep(200);
        assertThat(f.pool.state(ADD)).isEqualTo(ModelState.WARM);
    }

    @Test
    void anExplicitUnloadDrainsTheRequestsInFlightWhileNewRequestsLoadAgain() throws Exception {
        PoolFixture f = pool(Map.of("add", FixtureModels.add()), Map.of());
        ModelLease inFlight = f.pool.lease(ADD);
        LoadedModel old = model(inFlight);

        CompletableFuture<Void> unloaded = f.pool.unload(List.of(ADD));
        assertThat(unloaded).isNotDone();
        assertThat(f.pool.state(ADD)).isEqualTo(ModelState.DRAINING);
        assertThat(old.isClosed()).isFalse();
        assertThat(f.registry.get("ember.models.warm").gauge().value()).isZero();

        try (ModelLease next = f.pool.lease(ADD)) {
            assertThat(next.cold()).isTrue();
            assertThat(model(next)).isNotSameAs(old);
        }
        assertThat(unloaded).isNotDone();
        inFlight.close();
        unloaded.get(10, TimeUnit.SECONDS);
        assertThat(old.isClosed()).isTrue();
        assertThat(f.pool.state(ADD)).isEqualTo(ModelState.WARM);
        assertThat(f.count("ember.model.unloads", "reason", "explicit")).isEqualTo(1);
        assertThat(f.pool.loadedBytes()).isEqualTo(FixtureModels.add().length);
    }

    @Test
    void aPinnedVersionWarmsUpBeforeItTurnsWarmAndIsNeverUnloaded() throws Exception {
        CountDownLatch warmUpStarted = new CountDownLatch(1);
        CountDownLatch finishWarmUp = new CountDownLatch(1);
        AtomicInteger runs = new AtomicInteger();
        fixture = new PoolFixture(root, Map.of("add", FixtureModels.add()),
                Map.of("ember.functions.add.min-warm", "true", "ember.functions.add.idle-timeout", "20ms"), model -> {
                    warmUpStarted.countDown();
                    try {
                        finishWarmUp.await();
                    } catch (InterruptedException e) {
                        throw new IllegalStateException(e);
                    }
                    model.run(WarmUp.sampleInputs(model.signature()), Set.of());
                    runs.incrementAndGet();
                });
        WarmPool pool = fixture.pool;
        assertThat(pool.pinned(ADD)).isTrue();
        CompletableFuture<LoadedModel> load = pool.acquire(ADD);
        assertThat(warmUpStarted.await(30, TimeUnit.SECONDS)).isTrue();
        assertThat(pool.state(ADD)).isEqualTo(ModelState.LOADING);
        assertThat(load).isNotDone();

        finishWarmUp.countDown();
        LoadedModel model = load.get(30, TimeUnit.SECONDS);
        assertThat(runs.get()).isEqualTo(2);
        assertThat(pool.state(ADD)).isEqualTo(ModelState.WARM);

        Thread.sleep(300); // fifteen idle timeouts
        assertThat(pool.state(ADD)).isEqualTo(ModelState.WARM);
        assertThatThrownBy(() -> pool.unload(List.of(ADD))).isInstanceOf(InvalidInputException.class)
                .hasMessageContaining("pinned").hasMessageContaining("ember.functions.add.min-warm=true");
        assertThat(model.isClosed()).isFalse();
        assertThat(fixture.count("ember.model.unloads")).isZero();
    }

    @Test
    void aFailingWarmUpFailsTheVersionWithTheReason() throws Exception {
        fixture = new PoolFixture(root, Map.of("add", FixtureModels.add()),
                Map.of("ember.functions.add.min-warm", "true"), model -> {
                    throw new IllegalStateException("tokenizer missing");
                });
        assertThatThrownBy(() -> fixture.pool.acquire(ADD).get()).hasCauseInstanceOf(UnavailableException.class);
        assertThat(fixture.pool.state(ADD)).isEqualTo(ModelState.FAILED);
        assertThat(fixture.pool.error(ADD)).hasValue("warm-up failed: tokenizer missing");
        assertThat(fixture.pool.loadedBytes()).isZero();
    }

    @Test
    void sampleInputsRunOnEveryFixtureModel() throws Exception {
        Map<String, byte[]> models = FixtureModels.all();
        PoolFixture f = pool(models, Map.of());
        for (String name : models.keySet()) {
            if (name.matches("identity_uint(16|32|64)")) {
                continue; // ONNX Runtime's Java API cannot feed these types at all
            }
            LoadedModel model = f.pool.acquire(new ModelId(name, 1)).get(30, TimeUnit.SECONDS);
            Map<String, Tensor> outputs = model.run(WarmUp.sampleInputs(model.signature()), Set.of());
            assertThat(outputs.keySet()).as(name).hasSameSizeAs(model.signature().outputs());
        }
        Map<String, Tensor> strings = WarmUp.sampleInputs(
                f.pool.acquire(new ModelId("identity_string", 1)).get().signature());
        assertThat(strings.get("x").strings()).containsExactly("");
        assertThat(WarmUp.sampleInputs(f.pool.acquire(new ModelId("masked_sum", 1)).get().signature())
                .get("tokens").shape()).containsExactly(1, 1);
    }

    @Test
    void theBudgetEvictsTheLeastRecentlyUsedIdleVersion() throws Exception {
        PoolFixture f = pool(Map.of("a", CHAIN, "b", CHAIN, "c", CHAIN),
                Map.of("ember.pool.memory-budget", String.valueOf(2 * SIZE + SIZE / 2)));
        LoadedModel a = use(f, A);
        LoadedModel b = use(f, B);
        use(f, A); // a is now more recent than b
        LoadedModel c = use(f, C);

        assertThat(f.pool.state(A)).isEqualTo(ModelState.WARM);
        assertThat(f.pool.state(B)).isEqualTo(ModelState.UNLOADED);
        assertThat(f.pool.state(C)).isEqualTo(ModelState.WARM);
        assertThat(b.isClosed()).isTrue();
        assertThat(a.isClosed()).isFalse();
        assertThat(c.isClosed()).isFalse();
        assertThat(f.count("ember.model.evictions", "function", "b")).isEqualTo(1);
        assertThat(f.count("ember.model.evictions")).isEqualTo(1);
        assertThat(f.count("ember.model.unloads", "function", "b", "reason", "evicted")).isEqualTo(1);
        assertThat(f.pool.loadedBytes()).isEqualTo(2 * SIZE);
        assertThat(f.registry.get("ember.pool.loaded.bytes").gauge().value()).isEqualTo(2 * SIZE);
    }

    static LoadedModel use(PoolFixture f, ModelId id) throws Exception {
        try (ModelLease lease = f.pool.lease(id)) {
            return model(lease);
        }
    }

    @Test
    void whenOnlyBusyOrPinnedVersionsHoldTheBudgetTheLoadIsRefusedWith503() throws Exception {
        PoolFixture f = pool(Map.of("a", CHAIN, "b", CHAIN, "c", CHAIN),
                Map.of("ember.pool.memory-budget", String.valueOf(2 * SIZE + SIZE / 2),
                        "ember.functions.a.min-warm", "true"));
        use(f, A);
        ModelLease busy = f.pool.lease(B);
        model(busy);

        ModelLease refused = f.pool.lease(C);
        assertThatThrownBy(() -> refused.model().get(30, TimeUnit.SECONDS))
                .isInstanceOf(ExecutionException.class).cause().isInstanceOf(UnavailableException.class)
                .hasMessageContaining("ember.pool.memory-budget")
                .satisfies(e -> assertThat(((UnavailableException) e).retryAfter()).isPositive());
        refused.close();
        assertThat(f.pool.state(C)).isEqualTo(ModelState.UNLOADED);
        assertThat(f.pool.error(C)).isEmpty();
        assertThat(f.pool.state(A)).isEqualTo(ModelState.WARM);
        assertThat(f.pool.state(B)).isEqualTo(ModelState.WARM);
        assertThat(f.count("ember.model.loads", "function", "c", "outcome", "rejected")).isEqualTo(1);
        assertThat(f.count("ember.model.evictions")).isZero();

        busy.close(); // b turns idle: now it can make room
        use(f, C);
        assertThat(f.pool.state(B)).isEqualTo(ModelState.UNLOADED);
        assertThat(f.pool.state(A)).isEqualTo(ModelState.WARM);
        assertThat(f.pool.state(C)).isEqualTo(ModelState.WARM);
    }

    @Test
    void aPinnedVersionTheBudgetCannotHoldFailsWithTheReason() throws Exception {
        PoolFixture f = pool(Map.of("a", CHAIN, "b", CHAIN),
                Map.of("ember.pool.memory-budget", String.valueOf(SIZE + SIZE / 2),
                        "ember.functions.a.min-warm", "true", "ember.functions.b.min-warm", "true"));
        use(f, A);
        assertThatThrownBy(() -> f.pool.acquire(B).get()).hasCauseInstanceOf(UnavailableException.class);
        assertThat(f.pool.state(B)).isEqualTo(ModelState.FAILED);
        assertThat(f.pool.error(B).orElseThrow()).contains("ember.pool.memory-budget");
        assertThat(f.pool.state(A)).isEqualTo(ModelState.WARM);
    }

    @Test
    void aVersionLargerThanTheWholeBudgetFails() throws Exception {
        PoolFixture f = pool(Map.of("a", CHAIN), Map.of("ember.pool.memory-budget", String.valueOf(SIZE / 2)));
        assertThatThrownBy(() -> f.pool.acquire(A).get()).hasCauseInstanceOf(UnavailableException.class);
        assertThat(f.pool.state(A)).isEqualTo(ModelState.FAILED);
        assertThat(f.pool.error(A).orElseThrow()).contains("more than the whole ember.pool.memory-budget");
        assertThat(f.pool.loadedBytes()).isZero();
    }

    @Test
    void aFailedVersionStaysFailedUntilLoadedAgainAndUnknownVersionsAreNotFound() throws Exception {
        PoolFixture f = pool(Map.of("corrupt", "not a model".getBytes(StandardCharsets.UTF_8)), Map.of());
        ModelId corrupt = new ModelId("corrupt", 1);
        assertThatThrownBy(() -> f.pool.acquire(corrupt).get()).hasCauseInstanceOf(UnavailableException.class);
        assertThat(f.pool.state(corrupt)).isEqualTo(ModelState.FAILED);
        assertThatThrownBy(() -> f.pool.acquire(corrupt).get()).hasCauseInstanceOf(UnavailableException.class);
        assertThat(f.count("ember.model.loads", "outcome", "failure")).isEqualTo(1);

        assertThatThrownBy(() -> f.pool.load(corrupt).get()).hasCauseInstanceOf(UnavailableException.class);
        assertThat(f.count("ember.model.loads", "outcome", "failure")).isEqualTo(2);
        f.pool.unload(List.of(corrupt)).get();
        assertThat(f.pool.state(corrupt)).isEqualTo(ModelState.UNLOADED);

        assertThatThrownBy(() -> f.pool.lease(new ModelId("nope", 1))).isInstanceOf(NotFoundException.class);
    }
}
