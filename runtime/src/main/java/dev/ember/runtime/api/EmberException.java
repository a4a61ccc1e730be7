package dev.ember.runtime.api;

/** Base of the typed failures the HTTP layer maps to statuses; the message is shown to the caller. */
public abstract class EmberException extends RuntimeException {

    protected EmberException(String message) {
        super(message);
    }

    protected EmberException(String message, Throwable cause) {
        super(message, cause);
    }
}
