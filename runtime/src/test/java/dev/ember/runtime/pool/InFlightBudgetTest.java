package dev.ember.runtime.pool;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ember.runtime.api.ModelCall;
import dev.ember.runtime.api.ModelSignature;
import dev.ember.runtime.api.PayloadTooLargeException;
import dev.ember.runtime.api.Tensor;
import dev.ember.runtime.api.TensorSpec;
import dev.ember.runtime.api.DataType;
import dev.ember.runtime.api.UnavailableException;
import io.quarkus.runtime.configuration.MemorySize;
import java.math.BigInteger;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class InFlightBudgetTest {

    static long far() {
        return System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    }

    @Test
    void aRequestLargerThanTheWholeBudgetIsTooLargeNamingTheLimit() {
        InFlightBudget budget = new InFlightBudget(100, Duration.ofSeconds(1));
        assertThatThrownBy(() -> budget.reserve(101, far(), "this request").join())
                .isInstanceOf(CompletionException.class).cause().isInstanceOf(PayloadTooLargeException.class)
                .hasMessageContaining("ember.pool.in-flight-budget of 100 bytes");
        assertThat(budget.used()).isZero();
    }

    @Test
    void aRequestThatDoesNotFitNowWaitsForARelease() throws Exception {
        InFlightBudget budget = new InFlightBudget(100, Duration.ofSeconds(5));
        InFlightBudget.Reservation first = budget.reserve(70, far(), "a").join();
        CompletableFuture<InFlightBudget.Reservation> second = budget.reserve(50, far(), "b");
        // first come, first served: a small one behind a waiting one waits too
        CompletableFuture<InFlightBudget.Reservation> third = budget.reserve(10, far(), "c");
        assertThat(second).isNotDone();
        assertThat(third).isNotDone();
        first.close();
        first.close(); // twice is harmless
        assertThat(second.get(5, TimeUnit.SECONDS).bytes()).isEqualTo(50);
        assertThat(third.get(5, TimeUnit.SECONDS).bytes()).isEqualTo(10);
        assertThat(budget.used()).isEqualTo(60);
        second.join().close();
        third.join().close();
        assertThat(budget.used()).isZero();
    }

    @Test
    void aWaitIsBoundedByTheMaxWaitAndTheDeadlineThen503() {
        InFlightBudget budget = new InFlightBudget(100, Duration.ofMillis(100));
        InFlightBudget.Reservation held = budget.reserve(100, far(), "a").join();
        assertThatThrownBy(() -> budget.reserve(1, far(), "b").join()).cause()
                .isInstanceOf(UnavailableException.class).hasMessageContaining("retry later");
        // a deadline already (nearly) passed: 503 at once, never a 504
        assertThatThrownBy(() -> budget.reserve(1, System.nanoTime(), "c").join()).cause()
                .isInstanceOf(UnavailableException.class);
        held.close();
        assertThat(budget.used()).isZero();
    }

    @Test
    void aHoldShrinksFreelyAndGrowsOnlyIntoFreeRoom() {
        InFlightBudget budget = new InFlightBudget(100, Duration.ofSeconds(1));
        InFlightBudget.Reservation a = budget.reserve(90, far(), "a").join();
        a.resize(40, "a");
        assertThat(budget.used()).isEqualTo(40);
        InFlightBudget.Reservation b = budget.reserve(50, far(), "b").join();
        assertThatThrownBy(() -> a.resize(60, "a")).isInstanceOf(UnavailableException.class);
        assertThatThrownBy(() -> a.resize(101, "a")).isInstanceOf(PayloadTooLargeException.class);
        a.resize(50, "a");
        assertThat(budget.used()).isEqualTo(100);
        a.close();
        b.close();
        assertThat(budget.used()).isZero();
    }

    @Test
    void theDefaultIsHalfTheHeapLessTheModelBudgetAndNeverBelowAnEighth() {
        long gib = 1L << 30;
        assertThat(InFlightBudget.derive(Optional.empty(), gib, Optional.empty())).isEqualTo(gib / 2);
        assertThat(InFlightBudget.derive(Optional.empty(), gib, Optional.of(gib / 4))).isEqualTo(gib / 4);
        assertThat(InFlightBudget.derive(Optional.empty(), gib, Optional.of(gib))).isEqualTo(gib / 8);
        assertThat(InFlightBudget.derive(Optional.of(new MemorySize(BigInteger.valueOf(12345))), gib, Optional.empty()))
                .isEqualTo(12345);
    }

    @Test
    void anOutputsDynamicDimensionsComeFromTheInputs() {
        ModelSignature identity = new ModelSignature(List.of(new TensorSpec("x", DataType.FP32, new long[] {-1, -1})),
                List.of(new TensorSpec("y", DataType.FP32, new long[] {-1, -1})));
        ModelCall<Object> call = ModelCall.of(Map.of("x", Tensor.ofFloats(new long[] {1000, 4}, new float[4000])),
                o -> o);
        // input 16000 bytes, output twice (ONNX Runtime's and the Java copy)
        assertThat(WorkingSet.tensors(call, identity)).isEqualTo(16000 + 2 * 16000);
        assertThat(WorkingSet.tensorsAndJson(call, identity)).isEqualTo(48000 + (long) (4000 * 12 * 2.5));
        // a 2 MB body of numbers bounds a million elements, read 64-bit and kept 32-bit
        assertThat(WorkingSet.decodeBound(2_000_000, identity)).isEqualTo(2_000_000 + 1_000_000L * 20);
    }
}
