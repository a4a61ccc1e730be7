package dev.ember.runtime.health;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ember.runtime.api.ModelId;
import dev.ember.runtime.lifecycle.ShutdownDrain;
import dev.ember.runtime.lifecycle.StartupWarmSet;
import dev.ember.runtime.traffic.TrafficRouter;
import dev.ember.runtime.testing.TestBeans;
import dev.ember.runtime.pool.ModelState;
import dev.ember.runtime.pool.PoolFixture;
import dev.ember.runtime.pool.WarmUp;
import dev.ember.runtime.testing.FixtureModels;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ReadinessTest {

    private static final ModelId ADD = new ModelId("add", 1);

    @TempDir
    Path root;
    PoolFixture fixture;

    @AfterEach
    void close() {
        fixture.close();
    }

    Readiness readiness() {
        return readiness(model -> {
        });
    }

    /** Readiness over the fixture, with its start-up warm set (which warms up with {@code warmUp}) started. */
    Readiness readiness(WarmUp warmUp) {
        TrafficRouter router = TestBeans.create(TrafficRouter.class, fixture.catalog, fixture.config, fixture.registry,
                fixture.pool);
        StartupWarmSet warmSet = TestBeans.create(StartupWarmSet.class, fixture.config, router, fixture.pool, warmUp);
        warmSet.start();
        return new Readiness(fixture.catalog, fixture.pool, TestBeans.create(ShutdownDrain.class, Optional.empty(),
                Optional.empty()), warmSet);
    }

    /** A warm-up that waits for {@code finish}, then runs the model on sample inputs and counts the run. */
    static WarmUp blocking(CountDownLatch finish, AtomicInteger runs) {
        return model -> {
            try {
                finish.await();
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
            model.run(WarmUp.sampleInputs(model.signature()), Set.of());
            runs.incrementAndGet();
        };
    }

    @Test
    void readinessWaitsForThePinnedVersionsWarmUp() throws Exception {
        CountDownLatch finishWarmUp = new CountDownLatch(1);
        fixture = new PoolFixture(root, Map.of("add", FixtureModels.add(), "linear", FixtureModels.linear()),
                Map.of("ember.functions.add.min-warm", "true"), blocking(finishWarmUp, new AtomicInteger()));
        Readiness readiness = readiness();
        assertThat(readiness.notReadyReason()).isEqualTo("starting");
        assertThat(readiness.pinned()).containsExactly(new ModelId("add", 1));

        readiness.onStart(null);
        assertThat(readiness.ready()).isFalse();
        assertThat(readiness.notReadyReason()).startsWith("pinned model add/1 is loading");

        finishWarmUp.countDown();
        awaitReady(readiness);
        assertThat(fixture.count("ember.model.loads", "function", "linear")).isZero();
    }

    @Test
    void aPinnedVersionThatFailsKeepsReadinessFalseWithTheReason() throws Exception {
        fixture = new PoolFixture(root, Map.of("corrupt", "not a model".getBytes(StandardCharsets.UTF_8)),
                Map.of("ember.functions.corrupt.min-warm", "true"));
        Readiness readiness = readiness();
        readiness.onStart(null);
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (readiness.notReadyReason().contains("loading") && System.nanoTime() < end) {
            Thread.sleep(10);
        }
        assertThat(readiness.ready()).isFalse();
        assertThat(readiness.notReadyReason()).startsWith("pinned model corrupt/1 is failed: ");
    }

    @Test
    void readinessWaitsForTheWarmSetWhichLoadsAtStartAndCanStillBeUnloaded() throws Exception {
        CountDownLatch finishWarmUp = new CountDownLatch(1);
        AtomicInteger runs = new AtomicInteger();
        fixture = new PoolFixture(root, Map.of("add", FixtureModels.add(), "linear", FixtureModels.linear()),
                Map.of("ember.functions.add.warm-at-start", "true"));
        Readiness readiness = readiness(blocking(finishWarmUp, runs));
        readiness.onStart(null);
        assertThat(readiness.pinned()).isEmpty();
        assertThat(readiness.notReadyReason()).isEqualTo("warm-at-start [add/1] loading and warming up");

        finishWarmUp.countDown();
        awaitReady(readiness);
        assertThat(runs.get()).isEqualTo(2);
        assertThat(fixture.pool.state(ADD)).isEqualTo(ModelState.WARM);
        assertThat(fixture.pool.state(new ModelId("linear", 1))).isEqualTo(ModelState.UNLOADED);
        // not pinned: it goes like any other version, and readiness does not wait for it again
        fixture.pool.unload(List.of(ADD)).get(30, TimeUnit.SECONDS);
        assertThat(fixture.pool.state(ADD)).isEqualTo(ModelState.UNLOADED);
        assertThat(readiness.ready()).isTrue();
    }

    @Test
    void aWarmSetVersionThatFailsToLoadDoesNotHoldReadinessBack() throws Exception {
        fixture = new PoolFixture(root, Map.of("corrupt", "not a model".getBytes(StandardCharsets.UTF_8)),
                Map.of("ember.functions.corrupt.warm-at-start", "true"));
        Readiness readiness = readiness();
        readiness.onStart(null);
        awaitReady(readiness);
        assertThat(fixture.pool.state(new ModelId("corrupt", 1))).isEqualTo(ModelState.FAILED);
    }

    private static void awaitReady(Readiness readiness) throws InterruptedException {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!readiness.ready() && System.nanoTime() < end) {
            Thread.sleep(10);
        }
        assertThat(readiness.notReadyReason()).isNull();
    }
}
