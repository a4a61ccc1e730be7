package dev.ember.runtime.batch;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ember.runtime.config.TestConfig;
import dev.ember.runtime.onnx.ThreadBudget;
import dev.ember.runtime.testing.TestBeans;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** What each function's batcher is configured with. */
class BatchersTest {

    final ExecutorService workers = Executors.newSingleThreadExecutor();

    @AfterEach
    void close() {
        workers.shutdownNow();
    }

    BatchSettings settings(Map<String, String> properties, String function) {
        return TestBeans.create(Batchers.class, TestConfig.ember(properties), new SimpleMeterRegistry(), workers)
                .settings(function);
    }

    @Test
    void byDefaultARequestNeverWaitsForABatchAndTheRunsFitTheCpus() {
        BatchSettings s = settings(Map.of(), "plain");
        assertThat(s.maxDelay()).isEmpty();
        assertThat(s.maxTokens()).isEqualTo(4096);
        assertThat(s.maxPadding()).isEqualTo(0.25);
        int cpus = Runtime.getRuntime().availableProcessors();
        ThreadBudget budget = ThreadBudget.of(cpus, OptionalInt.empty(), OptionalInt.empty());
        assertThat(s.concurrency()).isEqualTo(budget.concurrency());
        assertThat((long) s.concurrency() * budget.intraOpThreads()).isLessThanOrEqualTo(cpus);
    }

    @Test
    void setValuesAreTaken() {
        BatchSettings s = settings(Map.of("ember.functions.f.batch.max-delay", "5ms",
                "ember.functions.f.batch.max-tokens", "100", "ember.functions.f.batch.max-padding", "0.5",
                "ember.functions.f.concurrency", "3"), "f");
        assertThat(s.maxDelay()).isEqualTo(Optional.of(Duration.ofMillis(5)));
        assertThat(s.maxTokens()).isEqualTo(100);
        assertThat(s.maxPadding()).isEqualTo(0.5);
        assertThat(s.concurrency()).isEqualTo(3);
    }
}
