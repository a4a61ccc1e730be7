package dev.ember.runtime.invoke;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ember.runtime.api.ModelCall;
import dev.ember.runtime.api.PayloadTooLargeException;
import dev.ember.runtime.api.Tensor;
import dev.ember.runtime.api.UnavailableException;
import dev.ember.runtime.pool.InFlightBudget;
import dev.ember.runtime.testing.FixtureModels;
import dev.ember.runtime.traffic.VersionSelector;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every request's estimated working set is admitted against the in-flight budget: one that can never fit is 413
 * naming the limit, one that does not fit now waits and then gets 503, and the hold is let go on every path.
 */
class DataPlaneBudgetTest {

    @TempDir
    Path root;
    DataPlaneFixture plane;

    void start() {
        plane = new DataPlaneFixture(root, Map.of("linear", FixtureModels.linear(),
                "identity_fp32", FixtureModels.identity(FixtureModels.IDENTITY_TYPES.get("fp32"))),
                Map.of("ember.pool.in-flight-budget", "64K", "ember.pool.in-flight-max-wait", "200ms"));
    }

    @AfterEach
    void stop() {
        plane.close();
    }

    static byte[] identityBody(int rows) {
        float[] x = new float[rows * 4];
        return ("{\"inputs\": [{\"name\": \"x\", \"shape\": [" + rows + ", 4], \"datatype\": \"FP32\", \"data\": "
                + Arrays.toString(x) + "}]}").getBytes(StandardCharsets.UTF_8);
    }

    Throwable failure(java.util.concurrent.CompletableFuture<?> f) throws Exception {
        try {
            f.get(10, TimeUnit.SECONDS);
            throw new AssertionError("expected a failure");
        } catch (ExecutionException e) {
            return Failure.unwrap(e);
        }
    }

    @Test
    void aTensorRequestLargerThanTheBudgetIs413AndSmallOnesRun() throws Exception {
        start();
        assertThat(plane.dataPlane.infer("identity_fp32", VersionSelector.ANY, identityBody(2)).get(10, TimeUnit.SECONDS)
                .response()).isNotEmpty();
        // 2000 x 4 floats: 32 KB in, twice 32 KB out, about 240 KB of JSON response
        assertThat(failure(plane.dataPlane.infer("identity_fp32", VersionSelector.ANY, identityBody(2000))))
                .isInstanceOf(PayloadTooLargeException.class).hasMessageContaining("ember.pool.in-flight-budget");
        assertThat(plane.budget.used()).isZero();
    }

    @Test
    void aFunctionCallIsAdmittedOnItsTensors() throws Exception {
        start();
        assertThat(failure(plane.dataPlane.invoke("linear", VersionSelector.ANY, signature -> ModelCall.of(
                Map.of("x", Tensor.ofFloats(new long[] {10_000, 4}, new float[40_000])), outputs -> 0))))
                .isInstanceOf(PayloadTooLargeException.class);
        assertThat(plane.budget.used()).isZero();
    }

    @Test
    void aRequestThatDoesNotFitNowWaitsThenGets503AndRunsOnceThereIsRoom() throws Exception {
        start();
        InFlightBudget.Reservation all = plane.budget.reserve(plane.budget.limit(), System.nanoTime()
                + TimeUnit.SECONDS.toNanos(10), "test").join();
        assertThat(failure(plane.dataPlane.infer("identity_fp32", VersionSelector.ANY, identityBody(2))))
                .isInstanceOf(UnavailableException.class);
        var waiting = plane.dataPlane.infer("identity_fp32", VersionSelector.ANY, identityBody(2));
        Thread.sleep(50);
        assertThat(waiting).isNotDone();
        all.close();
        assertThat(waiting.get(10, TimeUnit.SECONDS).response()).isNotEmpty();
        assertThat(plane.budget.used()).isZero();
    }
}
