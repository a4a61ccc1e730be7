package dev.ember.runtime.metrics;

import dev.ember.runtime.api.InvalidInputException;
import dev.ember.runtime.api.InvocationTimeoutException;
import dev.ember.runtime.api.NotFoundException;
import dev.ember.runtime.api.PayloadTooLargeException;
import dev.ember.runtime.api.UnavailableException;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import jakarta.enterprise.context.ApplicationScoped;

import java.time.Duration;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;

/**
 * Invocation meters: {@code ember_invocations_total} and {@code ember_invocation_duration_seconds} by function,
 * version and outcome, and {@code ember_invocation_phase_seconds} by phase (load, preprocess, queue, inference,
 * postprocess) so that latency can be attributed.
 */
@ApplicationScoped
public class InvocationMetrics {

    public static final String SUCCESS = "success";
    public static final String CLIENT_ERROR = "client_error";
    public static final String SERVER_ERROR = "server_error";
    public static final String REJECTED = "rejected";
    public static final String TIMEOUT = "timeout";

    private final MeterRegistry registry;

    InvocationMetrics(MeterRegistry registry) {
        this.registry = registry;
    }

    public void record(String function, String version, String outcome, long nanos) {
        registry.counter("ember.invocations", "function", function, "version", version, "outcome", outcome)
                .increment();
        Timer.builder("ember.invocation.duration").tag("function", function).tag("version", version)
                .tag("outcome", outcome).publishPercentileHistogram()
                .minimumExpectedValue(Duration.ofNanos(500_000)).maximumExpectedValue(Duration.ofSeconds(60))
                .register(registry).record(nanos, TimeUnit.NANOSECONDS);
    }

    public void phase(String function, String version, String phase, long nanos) {
        Timer.builder("ember.invocation.phase").tag("function", function).tag("version", version)
                .tag("phase", phase).register(registry).record(nanos, TimeUnit.NANOSECONDS);
    }

    public void coldStart(String function, String version) {
        registry.counter("ember.cold.starts", "function", function, "version", version).increment();
    }

    /** The outcome tag of a failure. */
    public static String outcome(Throwable failure) {
        Throwable t = failure instanceof CompletionException && failure.getCause() != null ? failure.getCause() : failure;
        if (t instanceof InvalidInputException || t instanceof NotFoundException || t instanceof PayloadTooLargeException) {
            return CLIENT_ERROR;
        }
        if (t instanceof UnavailableException) {
            return REJECTED;
        }
        if (t instanceof InvocationTimeoutException) {
            return TIMEOUT;
        }
        return SERVER_ERROR;
    }
}
