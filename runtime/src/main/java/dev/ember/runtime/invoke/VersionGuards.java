package dev.ember.runtime.invoke;

import dev.ember.runtime.api.ModelId;
import dev.ember.runtime.api.UnavailableException;
import dev.ember.runtime.config.EmberConfig;
import dev.ember.runtime.metrics.EmberMeter;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.smallrye.faulttolerance.api.CircuitBreakerState;
import io.smallrye.faulttolerance.api.Guard;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.util.TypeLiteral;
import org.eclipse.microprofile.faulttolerance.exceptions.CircuitBreakerOpenException;
import org.jboss.logging.Logger;

import java.time.Duration;
import java.time.temporal.ChronoUnit;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * A circuit breaker per model version (SmallRye Fault Tolerance, built from the function's
 * {@code circuit-breaker.*} settings when the version is first invoked): after repeated server errors or timeouts
 * of a version it answers 503 with Retry-After at once for {@code delay}, then lets probe invocations through.
 * Timeouts and the bounded queue are not guards here: the invoker's deadline and the version's batcher own them.
 */
@ApplicationScoped
public class VersionGuards {

    private static final Logger LOG = Logger.getLogger(VersionGuards.class);
    private static final TypeLiteral<CompletionStage<Object>> STAGE = new TypeLiteral<>() {
    };

    private final EmberConfig config;
    private final MeterRegistry registry;
    private final Map<ModelId, Breaker> breakers = new ConcurrentHashMap<>();

    VersionGuards(EmberConfig config, MeterRegistry registry) {
        this.config = config;
        this.registry = registry;
        config.functions().forEach((function, settings) -> check(function, settings.circuitBreaker()));
    }

    /**
     * Runs {@code invocation} under the version's circuit breaker; while the circuit is open the invocation is not
     * started and the result fails with {@link UnavailableException}.
     */
    @SuppressWarnings("unchecked")
    public <T> CompletableFuture<T> call(ModelId id, Supplier<CompletableFuture<T>> invocation) {
        Breaker breaker = breakers.computeIfAbsent(id, this::breaker);
        CompletableFuture<T> result = new CompletableFuture<>();
        breaker.guard.get(() -> (CompletionStage<Object>) invocation.get(), STAGE).whenComplete((value, failure) -> {
            if (failure == null) {
                result.complete((T) value);
            } else {
                result.completeExceptionally(breaker.translate(Failure.unwrap(failure)));
            }
        });
        return result;
    }

    /** The state of a version's circuit; closed for a version never invoked. */
    public CircuitBreakerState state(ModelId id) {
        Breaker breaker = breakers.get(id);
        return breaker == null ? CircuitBreakerState.CLOSED : breaker.state;
    }

    /** A failure of the version itself; bad input, unknown versions and full queues say nothing about its health. */
    static boolean versionFailure(Throwable failure) {
        return Failure.of(failure).countsAgainstBreaker;
    }

    private Breaker breaker(ModelId id) {
        return new Breaker(id, config.functions().get(id.model()).circuitBreaker());
    }

    private static void check(String function, EmberConfig.CircuitBreaker settings) {
        if (settings.failureRatio() <= 0 || settings.failureRatio() > 1 || settings.requestVolumeThreshold() < 1
                || settings.successThreshold() < 1 || settings.delay().isNegative()) {
            throw new IllegalArgumentException("ember.functions." + function + ".circuit-breaker: failure-ratio must"
                    + " be in (0, 1], request-volume-threshold and success-threshold at least 1, delay not negative");
        }
    }

    /** One version's breaker and what is observed of it. */
    private final class Breaker {
        final ModelId id;
        final Duration delay;
        final Guard guard;
        final Counter rejected;
        final AtomicInteger stateGauge = new AtomicInteger();
        volatile CircuitBreakerState state = CircuitBreakerState.CLOSED;
        volatile long openedAt;

        Breaker(ModelId id, EmberConfig.CircuitBreaker settings) {
            this.id = id;
            this.delay = settings.delay();
            Tags tags = Tags.of("function", id.model(), "version", String.valueOf(id.version()));
            EmberMeter.CIRCUIT_STATE.gauge(registry, tags, stateGauge, AtomicInteger::get);
            this.rejected = EmberMeter.REQUESTS_REJECTED.counter(registry, "function", id.model(), "version",
                    String.valueOf(id.version()), "reason", "circuit_open");
            for (CircuitBreakerState s : CircuitBreakerState.values()) {
                transitions(s);
            }
            this.guard = Guard.create()
                    .withDescription("ember " + id)
                    .withCircuitBreaker()
                    .failureRatio(settings.failureRatio())
                    .requestVolumeThreshold(settings.requestVolumeThreshold())
                    .delay(settings.delay().toMillis(), ChronoUnit.MILLIS)
                    .successThreshold(settings.successThreshold())
                    .when(VersionGuards::versionFailure)
                    .onStateChange(this::changed)
                    .done()
                    // the invocation only queues work and returns its future: no thread of its own
                    .withThreadOffload(false)
                    .build();
        }

        void changed(CircuitBreakerState next) {
            if (next == CircuitBreakerState.OPEN) {
                openedAt = System.nanoTime();
                LOG.warnf("circuit of %s opened after repeated server errors or timeouts: it answers 503 for %s,"
                        + " then lets probes through", id, delay);
            } else if (next == CircuitBreakerState.CLOSED) {
                LOG.infof("circuit of %s closed: probes succeeded", id);
            }
            state = next;
            // 0 closed, 1 half-open, 2 open: higher is worse
            stateGauge.set(switch (next) {
                case CLOSED -> 0;
                case HALF_OPEN -> 1;
                case OPEN -> 2;
            });
            transitions(next).increment();
        }

        Counter transitions(CircuitBreakerState to) {
            return EmberMeter.CIRCUIT_TRANSITIONS.counter(registry, "function", id.model(), "version",
                    String.valueOf(id.version()), "state", to.name().toLowerCase(Locale.ROOT));
        }

        Throwable translate(Throwable failure) {
            if (!(failure instanceof CircuitBreakerOpenException)) {
                return failure;
            }
            rejected.increment();
            // half-open with its probes taken: they answer within the invocation timeout, so retry soon
            Duration left = state == CircuitBreakerState.OPEN
                    ? delay.minusNanos(System.nanoTime() - openedAt) : Duration.ZERO;
            return new UnavailableException("model " + id + " is failing: its circuit is open after repeated server"
                    + " errors or timeouts", left.compareTo(Duration.ofSeconds(1)) < 0 ? Duration.ofSeconds(1)
                    : left.plusMillis(999).truncatedTo(ChronoUnit.SECONDS));
        }
    }
}
