package dev.ember.runtime.health;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ember.runtime.api.ModelId;
import dev.ember.runtime.lifecycle.ShutdownDrain;
import dev.ember.runtime.testing.TestBeans;
import dev.ember.runtime.pool.PoolFixture;
import dev.ember.runtime.pool.WarmUp;
import dev.ember.runtime.testing.FixtureModels;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ReadinessTest {

    @TempDir
    Path root;
    PoolFixture fixture;

    @AfterEach
    void close() {
        fixture.close();
    }

    @Test
    void readinessWaitsForThePinnedVersionsWarmUp() throws Exception {
        CountDownLatch finishWarmUp = new CountDownLatch(1);
        fixture = new PoolFixture(root, Map.of("add", FixtureModels.add(), "linear", FixtureModels.linear()),
                Map.of("ember.functions.add.min-warm", "true"), model -> {
                    try {
                        finishWarmUp.await();
                    } catch (InterruptedException e) {
                        throw new IllegalStateException(e);
                    }
                    model.run(WarmUp.sampleInputs(model.signature()), Set.of());
                });
        Readiness readiness = new Readiness(fixture.catalog, fixture.pool, TestBeans.create(ShutdownDrain.class, Optional.empty(), Optional.empty()));
        assertThat(readiness.notReadyReason()).isEqualTo("starting");
        assertThat(readiness.pinned()).containsExactly(new ModelId("add", 1));

        readiness.onStart(null);
        assertThat(readiness.ready()).isFalse();
        assertThat(readiness.notReadyReason()).startsWith("pinned model add/1 is loading");

        finishWarmUp.countDown();
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!readiness.ready() && System.nanoTime() < end) {
            Thread.sleep(10);
        }
        assertThat(readiness.notReadyReason()).isNull();
        assertThat(fixture.count("ember.model.loads", "function", "linear")).isZero();
    }

    @Test
    void aPinnedVersionThatFailsKeepsReadinessFalseWithTheReason() throws Exception {
        fixture = new PoolFixture(root, Map.of("corrupt", "not a model".getBytes(StandardCharsets.UTF_8)),
                Map.of("ember.functions.corrupt.min-warm", "true"));
        Readiness readiness = new Readiness(fixture.catalog, fixture.pool, TestBeans.create(ShutdownDrain.class, Optional.empty(), Optional.empty()));
        readiness.onStart(null);
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (readiness.notReadyReason().contains("loading") && System.nanoTime() < end) {
            Thread.sleep(10);
        }
        assertThat(readiness.ready()).isFalse();
        assertThat(readiness.notReadyReason()).startsWith("pinned model corrupt/1 is failed: ");
    }
}
