package dev.ember.runtime.invoke;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ember.runtime.api.ModelCall;
import dev.ember.runtime.api.ModelId;
import dev.ember.runtime.api.ModelSignature;
import dev.ember.runtime.api.Tensor;
import dev.ember.runtime.api.UnavailableException;
import dev.ember.runtime.batch.Batchers;
import dev.ember.runtime.pool.PoolFixture;
import dev.ember.runtime.testing.FixtureModels;
import dev.ember.runtime.traffic.VersionSelector;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Under overload a request is refused before it is prepared: a rejection costs no decoding or tokenising. */
class EarlyRejectionTest {

    static final ModelId SLOW = new ModelId("slow", 1);

    @TempDir
    Path root;

    static Function<ModelSignature, ModelCall<Integer>> rows(int n, AtomicInteger prepared) {
        return signature -> {
            prepared.incrementAndGet();
            return ModelCall.of(Map.of("x", Tensor.ofFloats(new long[] {n, 512}, new float[n * 512])),
                    outputs -> (int) outputs.get("y").elementCount());
        };
    }

    @Test
    void aFullQueueRefusesARequestBeforeItIsPrepared() throws Exception {
        try (DataPlaneFixture plane = new DataPlaneFixture(root, Map.of("slow", FixtureModels.matmulChain(8, 512)),
                Map.of("ember.functions.slow.concurrency", "1", "ember.functions.slow.queue.max-size", "1"))) {
            PoolFixture fixture = plane.pool;
            Batchers batchers = plane.batchers;
            DataPlane invoker = plane.dataPlane;
            fixture.pool.acquire(SLOW).get(30, TimeUnit.SECONDS);
            AtomicInteger admitted = new AtomicInteger();
            // one running (taken off the queue by the only worker), then one queued: the queue is full
            CompletableFuture<Invocation<Integer>> first =
                    invoker.invoke("slow", VersionSelector.ANY, rows(1024, admitted));
            long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (batchers.of(SLOW).size() > 0) {
                assertThat(System.nanoTime()).as("the first request running").isLessThan(end);
                Thread.sleep(1);
            }
            List<CompletableFuture<Invocation<Integer>>> running = List.of(first,
                    invoker.invoke("slow", VersionSelector.ANY, rows(1024, admitted)));
            assertThat(batchers.of(SLOW).size()).isEqualTo(1);

            AtomicInteger prepared = new AtomicInteger();
            CompletableFuture<Invocation<Integer>> refused =
                    invoker.invoke("slow", VersionSelector.ANY, rows(1, prepared));
            assertThatThrownBy(() -> refused.get(30, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class)
                    .cause().isInstanceOf(UnavailableException.class).hasMessageContaining("is full");
            assertThat(prepared).hasValue(0);
            assertThat(fixture.count("ember.requests.rejected", "reason", "queue_full")).isEqualTo(1.0);

            for (CompletableFuture<Invocation<Integer>> call : running) {
                assertThat(call.get(120, TimeUnit.SECONDS).response()).isEqualTo(1024 * 512);
            }
            assertThat(admitted).hasValue(2);
        }
    }
}
