package dev.ember.runtime.invoke;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ember.runtime.api.InvalidInputException;
import dev.ember.runtime.api.InvocationTimeoutException;
import dev.ember.runtime.api.ModelCall;
import dev.ember.runtime.api.ModelId;
import dev.ember.runtime.api.ModelSignature;
import dev.ember.runtime.api.Tensor;
import dev.ember.runtime.api.UnavailableException;
import dev.ember.runtime.pool.ModelState;
import dev.ember.runtime.pool.PoolFixture;
import dev.ember.runtime.testing.FixtureModels;
import dev.ember.runtime.traffic.VersionSelector;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every invocation holds its model version from routing until its work is over and then lets go, on every path:
 * success, bad input, a failed load, a full queue, a timeout. A version with no holder unloads at once.
 */
class DataPlaneLeaseTest {

    static final ModelId LINEAR = new ModelId("linear", 1);
    static final ModelId SLOW = new ModelId("slow", 1);

    @TempDir
    Path root;
    DataPlaneFixture plane;
    PoolFixture fixture;

    void start(Map<String, String> properties) {
        plane = new DataPlaneFixture(root, Map.of("linear", FixtureModels.linear(),
                "slow", FixtureModels.matmulChain(8, 512),
                "corrupt", "not a model".getBytes(StandardCharsets.UTF_8)), properties);
        fixture = plane.pool;
    }

    @AfterEach
    void stop() {
        plane.close();
    }

    static Function<ModelSignature, ModelCall<float[]>> rows(int n, int width, String output) {
        return signature -> ModelCall.of(Map.of("x", Tensor.ofFloats(new long[] {n, width}, new float[n * width])),
                outputs -> {
                    float[] y = new float[(int) outputs.get(output).elementCount()];
                    outputs.get(output).floats().get(y);
                    return y;
                });
    }

    /** True when the version has no open lease: an explicit unload then finishes at once. */
    boolean released(ModelId id) {
        CompletableFuture<Void> unloaded = fixture.pool.unload(List.of(id));
        return unloaded.isDone() && fixture.pool.state(id) == ModelState.UNLOADED;
    }

    CompletableFuture<Invocation<float[]>> invoke(String function, Function<ModelSignature, ModelCall<float[]>> call) {
        return plane.dataPlane.invoke(function, VersionSelector.ANY, call);
    }

    @Test
    void concurrentColdInvocationsLoadOnceAndCountTheirColdStarts() throws Exception {
        start(Map.of());
        List<CompletableFuture<Invocation<float[]>>> calls = new ArrayList<>();
        for (int i = 0; i < 16; i++) {
            calls.add(invoke("linear", rows(1, 4, "y")));
        }
        for (CompletableFuture<Invocation<float[]>> call : calls) {
            assertThat(call.get(30, TimeUnit.SECONDS).response()).containsExactly(FixtureModels.LINEAR_B1);
        }
        assertThat(fixture.count("ember.model.loads", "function", "linear")).isEqualTo(1);
        double cold = fixture.count("ember.cold.starts", "function", "linear");
        assertThat(cold).isBetween(1.0, 16.0);
        invoke("linear", rows(1, 4, "y")).get(30, TimeUnit.SECONDS);
        assertThat(fixture.count("ember.cold.starts", "function", "linear")).isEqualTo(cold);
        assertThat(released(LINEAR)).isTrue();
    }

    @Test
    void badInputLetsGo() throws Exception {
        start(Map.of());
        CompletableFuture<Invocation<float[]>> bad = invoke("linear", signature -> {
            throw new InvalidInputException("'x': wrong");
        });
        assertThatThrownBy(() -> bad.get(30, TimeUnit.SECONDS)).cause().isInstanceOf(InvalidInputException.class);
        assertThat(released(LINEAR)).isTrue();
    }

    @Test
    void aFailedLoadLetsGo() throws Exception {
        start(Map.of());
        CompletableFuture<Invocation<float[]>> failed = invoke("corrupt", rows(1, 4, "y"));
        assertThatThrownBy(() -> failed.get(30, TimeUnit.SECONDS)).cause().isInstanceOf(UnavailableException.class);
        assertThat(released(new ModelId("corrupt", 1))).isTrue();
    }

    @Test
    void aTimedOutInvocationHoldsItsVersionUntilItsWorkEndsThenLetsGo() throws Exception {
        start(Map.of("ember.functions.linear.timeout", "50ms"));
        // preparation runs on the caller's thread when the model is already loaded: call from another thread
        CountDownLatch finishPreparing = new CountDownLatch(1);
        CompletableFuture<Invocation<float[]>> slow = CompletableFuture.supplyAsync(() -> invoke("linear",
                signature -> {
                    try {
                        finishPreparing.await();
                    } catch (InterruptedException e) {
                        throw new IllegalStateException(e);
                    }
                    return rows(1, 4, "y").apply(signature);
                })).thenCompose(f -> f);
        assertThatThrownBy(() -> slow.get(30, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class)
                .cause().isInstanceOf(InvocationTimeoutException.class);

        // answered 504, but its work still holds the version: an unload waits for it instead of closing under it
        CompletableFuture<Void> unloaded = fixture.pool.unload(List.of(LINEAR));
        assertThat(unloaded).isNotDone();
        assertThat(fixture.pool.state(LINEAR)).isIn(ModelState.LOADING, ModelState.DRAINING);
        finishPreparing.countDown();
        unloaded.get(30, TimeUnit.SECONDS);
        assertThat(fixture.pool.state(LINEAR)).isEqualTo(ModelState.UNLOADED);
    }

    @Test
    void aRequestRejectedByAFullQueueLetsGoAndTheAcceptedOnesComplete() throws Exception {
        start(Map.of("ember.functions.slow.queue.max-size", "1", "ember.functions.slow.concurrency", "1"));
        fixture.pool.acquire(SLOW).get(30, TimeUnit.SECONDS);
        // the first holds the only worker in its response step until released: one running, then one queued
        CountDownLatch release = new CountDownLatch(1);
        List<CompletableFuture<Invocation<float[]>>> calls = new ArrayList<>();
        calls.add(invoke("slow", signature -> {
            ModelCall<float[]> call = rows(256, 512, "y").apply(signature);
            return new ModelCall<>(call.inputs(), call.outputs(), outputs -> {
                try {
                    // bounded, so that a mistake here fails the test instead of hanging it
                    assertThat(release.await(60, TimeUnit.SECONDS)).isTrue();
                } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                }
                return call.respond().apply(outputs);
            });
        }));
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (plane.batchers.of(SLOW).size() > 0) {
            assertThat(System.nanoTime()).as("the first request taken by the worker").isLessThan(end);
            Thread.sleep(1);
        }
        for (int i = 0; i < 3; i++) {
            calls.add(invoke("slow", rows(256, 512, "y")));
        }
        assertThat(calls.get(2)).isCompletedExceptionally();
        assertThat(calls.get(3)).isCompletedExceptionally();
        release.countDown();
        int rejected = 0;
        for (CompletableFuture<Invocation<float[]>> call : calls) {
            try {
                assertThat(call.get(60, TimeUnit.SECONDS).response()).hasSize(256 * 512);
            } catch (ExecutionException e) {
                assertThat(e.getCause()).isInstanceOf(UnavailableException.class).hasMessageContaining("full");
                rejected++;
            }
        }
        // one running, one queued: the last two are refused
        assertThat(rejected).isEqualTo(2);
        assertThat(released(SLOW)).isTrue();
    }
}
