package dev.ember.runtime.api;

/**
 * The deadline passed before the invocation's model run started (waiting for the model, or in its queue): the
 * version was overloaded, not faulty, so unlike other timeouts this never counts against its circuit breaker.
 */
public class QueueTimeoutException extends InvocationTimeoutException {

    public QueueTimeoutException(String message) {
        super(message);
    }
}
