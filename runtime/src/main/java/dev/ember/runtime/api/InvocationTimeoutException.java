package dev.ember.runtime.api;

/** The invocation did not finish within its deadline, queue wait included (504). */
public class InvocationTimeoutException extends EmberException {

    public InvocationTimeoutException(String message) {
        super(message);
    }
}
