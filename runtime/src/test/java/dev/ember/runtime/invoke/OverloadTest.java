package dev.ember.runtime.invoke;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ember.runtime.api.ModelCall;
import dev.ember.runtime.api.ModelId;
import dev.ember.runtime.api.QueueTimeoutException;
import dev.ember.runtime.api.Tensor;
import dev.ember.runtime.api.UnavailableException;
import dev.ember.runtime.testing.FixtureModels;
import dev.ember.runtime.traffic.VersionSelector;
import io.smallrye.faulttolerance.api.CircuitBreakerState;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.AbstractExecutorService;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Overload alone never opens a circuit: requests that cannot be served in time are shed or time out queued. */
class OverloadTest {

    static final ModelId SLOW = new ModelId("slow", 1);

    @TempDir
    Path root;

    /** Inference threads that start only once opened: until then every request stays queued. */
    static final class GatedWorkers extends AbstractExecutorService {
        final ExecutorService threads = Executors.newCachedThreadPool();
        final List<Runnable> held = new ArrayList<>();
        boolean open;

        @Override
        public synchronized void execute(Runnable task) {
            if (open) {
                threads.execute(task);
            } else {
                held.add(task);
            }
        }

        synchronized void open() {
            open = true;
            held.forEach(threads::execute);
            held.clear();
        }

        @Override
        public void shutdown() {
            threads.shutdown();
        }

        @Override
        public List<Runnable> shutdownNow() {
            return threads.shutdownNow();
        }

        @Override
        public boolean isShutdown() {
            return threads.isShutdown();
        }

        @Override
        public boolean isTerminated() {
            return threads.isTerminated();
        }

        @Override
        public boolean awaitTermination(long timeout, TimeUnit unit) throws InterruptedException {
            return threads.awaitTermination(timeout, unit);
        }
    }

    static ModelCall<Integer> call() {
        return ModelCall.of(Map.of("x", Tensor.ofFloats(new long[] {1, 512}, new float[512])),
                outputs -> (int) outputs.get("y").elementCount());
    }

    @Test
    void queuedRequestsPastTheirDeadlineAreOverloadAndLeaveTheCircuitClosed() throws Exception {
        GatedWorkers workers = new GatedWorkers();
        try (DataPlaneFixture plane = new DataPlaneFixture(root, Map.of("slow", FixtureModels.matmulChain(2, 512)),
                Map.of("ember.functions.slow.concurrency", "1", "ember.functions.slow.timeout", "2s",
                        "ember.functions.slow.queue.max-size", "16",
                        "ember.functions.slow.circuit-breaker.request-volume-threshold", "4"), workers)) {
            plane.pool.pool.acquire(SLOW).get(30, TimeUnit.SECONDS);
            List<CompletableFuture<Invocation<Integer>>> calls = new ArrayList<>();
            for (int i = 0; i < 24; i++) {
                calls.add(plane.dataPlane.invoke("slow", VersionSelector.ANY, signature -> call()));
            }
            int timedOutQueued = 0;
            int shed = 0;
            for (CompletableFuture<Invocation<Integer>> call : calls) {
                try {
                    call.get(30, TimeUnit.SECONDS);
                    throw new AssertionError("served although no worker ran before its deadline");
                } catch (ExecutionException e) {
                    assertThat(e.getCause()).isInstanceOfAny(QueueTimeoutException.class, UnavailableException.class);
                    if (e.getCause() instanceof QueueTimeoutException) {
                        timedOutQueued++;
                    } else {
                        shed++;
                    }
                }
            }
            assertThat(timedOutQueued).as("waited in the queue past the deadline").isEqualTo(16);
            assertThat(shed).as("found the queue full").isEqualTo(8);
            assertThat(plane.guards.state(SLOW)).isEqualTo(CircuitBreakerState.CLOSED);
            assertThat(plane.pool.count("ember.circuit.transitions", "state", "open")).isZero();
            assertThat(plane.pool.count("ember.invocations", "outcome", "timeout")).isEqualTo(16);

            // with the workers running again the expired requests are dropped unrun and a new one is served
            workers.open();
            assertThat(plane.dataPlane.invoke("slow", VersionSelector.ANY, signature -> call())
                    .get(30, TimeUnit.SECONDS).response()).isEqualTo(512);
        }
    }
}
