package dev.ember.runtime.api;

import java.time.Duration;

/** The request could succeed later (503 with Retry-After): a full queue, an open circuit, a draining or failed model. */
public class UnavailableException extends EmberException {

    private final Duration retryAfter;

    public UnavailableException(String message, Duration retryAfter) {
        super(message);
        this.retryAfter = retryAfter;
    }

    public UnavailableException(String message, Duration retryAfter, Throwable cause) {
        super(message, cause);
        this.retryAfter = retryAfter;
    }

    public Duration retryAfter() {
        return retryAfter;
    }
}
