package dev.ember.runtime.invoke;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ember.runtime.api.InferenceFailedException;
import dev.ember.runtime.api.InvalidInputException;
import dev.ember.runtime.api.InvocationTimeoutException;
import dev.ember.runtime.api.ModelId;
import dev.ember.runtime.api.UnavailableException;
import dev.ember.runtime.config.TestConfig;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.smallrye.faulttolerance.api.CircuitBreakerState;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * The per-version circuit breaker: server errors and timeouts open it, nothing else does; an open circuit answers
 * 503 with Retry-After without starting the invocation; probes close or reopen it; versions never share a circuit.
 */
class VersionGuardsTest {

    static final ModelId V1 = new ModelId("f", 1);
    static final ModelId V2 = new ModelId("f", 2);

    final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    final AtomicInteger started = new AtomicInteger();

    VersionGuards guards(String delay) {
        return new VersionGuards(TestConfig.ember(Map.of(
                "ember.functions.f.circuit-breaker.request-volume-threshold", "4",
                "ember.functions.f.circuit-breaker.failure-ratio", "0.5",
                "ember.functions.f.circuit-breaker.delay", delay,
                "ember.functions.f.circuit-breaker.success-threshold", "2")), registry);
    }

    String call(VersionGuards guards, ModelId id, RuntimeException failure) throws Exception {
        CompletableFuture<String> result = guards.call(id, () -> {
            started.incrementAndGet();
            return failure == null ? CompletableFuture.completedFuture("ok") : CompletableFuture.failedFuture(failure);
        });
        try {
            return result.get(10, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            throw (Exception) e.getCause();
        }
    }

    static InferenceFailedException serverError() {
        return new InferenceFailedException("model f/1 failed", null);
    }

    double gauge(ModelId id) {
        return registry.get("ember.circuit.state").tag("version", String.valueOf(id.version())).gauge().value();
    }

    void await(VersionGuards guards, ModelId id, CircuitBreakerState state) throws InterruptedException {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (guards.state(id) != state) {
            assertThat(System.nanoTime()).as("waiting for " + state).isLessThan(end);
            Thread.sleep(10);
        }
    }

    @Test
    void repeatedServerErrorsOpenTheCircuitWhichAnswers503WithoutStartingTheInvocation() throws Exception {
        VersionGuards guards = guards("60s");
        call(guards, V1, null);
        call(guards, V1, null);
        for (int i = 0; i < 2; i++) {
            assertThatThrownBy(() -> call(guards, V1, serverError())).isInstanceOf(InferenceFailedException.class);
        }
        assertThat(guards.state(V1)).isEqualTo(CircuitBreakerState.OPEN);
        assertThat(gauge(V1)).isEqualTo(2.0);

        int before = started.get();
        assertThatThrownBy(() -> call(guards, V1, null)).isInstanceOfSatisfying(UnavailableException.class, e -> {
            assertThat(e.getMessage()).contains("f/1").contains("circuit is open");
            assertThat(e.retryAfter()).isBetween(Duration.ofSeconds(1), Duration.ofSeconds(60));
        });
        assertThat(started.get()).isEqualTo(before);
        assertThat(registry.get("ember.requests.rejected").tag("reason", "circuit_open").counter().count())
                .isEqualTo(1.0);
        assertThat(registry.get("ember.circuit.transitions").tag("state", "open").counter().count()).isEqualTo(1.0);

        // another version of the same function has its own circuit
        assertThat(call(guards, V2, null)).isEqualTo("ok");
        assertThat(guards.state(V2)).isEqualTo(CircuitBreakerState.CLOSED);
        assertThat(gauge(V2)).isZero();
    }

    @Test
    void timeoutsCountAsFailures() throws Exception {
        VersionGuards guards = guards("60s");
        for (int i = 0; i < 4; i++) {
            assertThatThrownBy(() -> call(guards, V1, new InvocationTimeoutException("f/1 timed out")))
                    .isInstanceOf(InvocationTimeoutException.class);
        }
        assertThat(guards.state(V1)).isEqualTo(CircuitBreakerState.OPEN);
    }

    @Test
    void clientErrorsAndRejectionsNeverOpenIt() throws Exception {
        VersionGuards guards = guards("60s");
        for (int i = 0; i < 20; i++) {
            RuntimeException failure = i % 2 == 0 ? new InvalidInputException("'x': wrong shape")
                    : new UnavailableException("the queue of f/1 is full", Duration.ofSeconds(1));
            assertThatThrownBy(() -> call(guards, V1, failure)).isSameAs(failure);
        }
        assertThat(guards.state(V1)).isEqualTo(CircuitBreakerState.CLOSED);
        assertThat(started.get()).isEqualTo(20);
    }

    @Test
    void afterTheDelayProbesCloseItOrAFailedProbeOpensItAgain() throws Exception {
        VersionGuards guards = guards("100ms");
        for (int i = 0; i < 4; i++) {
            assertThatThrownBy(() -> call(guards, V1, serverError())).isInstanceOf(InferenceFailedException.class);
        }
        await(guards, V1, CircuitBreakerState.HALF_OPEN);
        assertThatThrownBy(() -> call(guards, V1, serverError())).isInstanceOf(InferenceFailedException.class);
        assertThat(guards.state(V1)).isEqualTo(CircuitBreakerState.OPEN);

        await(guards, V1, CircuitBreakerState.HALF_OPEN);
        assertThat(gauge(V1)).isEqualTo(1.0);
        assertThat(call(guards, V1, null)).isEqualTo("ok");
        assertThat(guards.state(V1)).isEqualTo(CircuitBreakerState.HALF_OPEN); // success-threshold is 2
        assertThat(call(guards, V1, null)).isEqualTo("ok");
        assertThat(guards.state(V1)).isEqualTo(CircuitBreakerState.CLOSED);
        assertThat(registry.get("ember.circuit.transitions").tag("state", "open").counter().count()).isEqualTo(2.0);
        assertThat(registry.get("ember.circuit.transitions").tag("state", "closed").counter().count()).isEqualTo(1.0);
    }

    @Test
    void invalidSettingsAreRefusedAtStart() {
        assertThatThrownBy(() -> new VersionGuards(TestConfig.ember(Map.of(
                "ember.functions.f.circuit-breaker.failure-ratio", "1.5")), registry))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("ember.functions.f.circuit-breaker");
    }
}
