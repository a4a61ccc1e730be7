package dev.ember.runtime.invoke;

import com.fasterxml.jackson.core.JsonProcessingException;
import dev.ember.runtime.api.ConflictException;
import dev.ember.runtime.api.ForbiddenException;
import dev.ember.runtime.api.InvalidInputException;
import dev.ember.runtime.api.InvocationTimeoutException;
import dev.ember.runtime.api.NotFoundException;
import dev.ember.runtime.api.PayloadTooLargeException;
import dev.ember.runtime.api.QueueTimeoutException;
import dev.ember.runtime.api.UnauthorizedException;
import dev.ember.runtime.api.UnavailableException;

import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;

/**
 * The failure table: for each kind of failure, its HTTP status, the {@code outcome} tag of the invocation meters,
 * whether it counts against the version's circuit breaker, and the CloudEvents reject reason with its
 * acknowledgement code. The error mapper, the meters, the breaker and the event sink all read it; a new kind is one
 * line. Rows are matched in order, so a subclass must come before its parent.
 */
public enum Failure {

    BAD_INPUT(InvalidInputException.class, 400, "client_error", false, "invalid_data", 400),
    MALFORMED_JSON(JsonProcessingException.class, 400, "client_error", false, "invalid_data", 400),
    UNAUTHORIZED(UnauthorizedException.class, 401, "client_error", false, "invalid_data", 400),
    FORBIDDEN(ForbiddenException.class, 403, "client_error", false, "invalid_data", 400),
    // a pinned version or tag that is gone: brokers retry 404, and retrying cannot help, so events get 422
    NOT_FOUND(NotFoundException.class, 404, "client_error", false, "no_function", 422),
    CONFLICT(ConflictException.class, 409, "client_error", false, "invalid_data", 400),
    TOO_LARGE(PayloadTooLargeException.class, 413, "client_error", false, "too_large", 413),
    // a full queue, an open circuit, a failed or draining model: overload says nothing about the version's health
    UNAVAILABLE(UnavailableException.class, 503, "rejected", false, "unavailable", 503),
    // the deadline passed before the run started: overload, like a full queue
    QUEUE_TIMEOUT(QueueTimeoutException.class, 504, "timeout", false, "timeout", 504),
    TIMEOUT(InvocationTimeoutException.class, 504, "timeout", true, "timeout", 504),
    INTERNAL(Throwable.class, 500, "server_error", true, "failed", 500);

    private final Class<? extends Throwable> type;
    /** The HTTP status. */
    public final int status;
    /** The {@code outcome} tag of {@code ember_invocations_total}. */
    public final String outcome;
    /** Whether it is a fault of the version itself, counted by its circuit breaker. */
    public final boolean countsAgainstBreaker;
    /** The {@code reason} tag of {@code ember_events_rejected_total}. */
    public final String eventReason;
    /** The CloudEvents data-plane acknowledgement code: 4xx but 404, 408, 409 and 429 are not retried. */
    public final int eventStatus;

    Failure(Class<? extends Throwable> type, int status, String outcome, boolean countsAgainstBreaker,
            String eventReason, int eventStatus) {
        this.type = type;
        this.status = status;
        this.outcome = outcome;
        this.countsAgainstBreaker = countsAgainstBreaker;
        this.eventReason = eventReason;
        this.eventStatus = eventStatus;
    }

    /** The kind of a failure, looking through the wrappers of asynchronous completion. */
    public static Failure of(Throwable failure) {
        Throwable t = unwrap(failure);
        for (Failure f : values()) {
            if (f.type.isInstance(t)) {
                return f;
            }
        }
        return INTERNAL;
    }

    /** How long a client should wait before it retries; only overload and unavailability say. */
    public static Optional<Duration> retryAfter(Throwable failure) {
        return unwrap(failure) instanceof UnavailableException u
                ? Optional.of(u.retryAfter().compareTo(Duration.ofSeconds(1)) < 0 ? Duration.ofSeconds(1) : u.retryAfter())
                : Optional.empty();
    }

    /** The failure itself, without the {@link CompletionException} / {@link ExecutionException} around it. */
    public static Throwable unwrap(Throwable failure) {
        Throwable t = failure;
        while ((t instanceof CompletionException || t instanceof ExecutionException) && t.getCause() != null) {
            t = t.getCause();
        }
        return t;
    }
}
