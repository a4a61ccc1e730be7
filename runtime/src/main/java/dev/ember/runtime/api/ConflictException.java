package dev.ember.runtime.api;

/** The request is valid but conflicts with the state of the target (e.g. traffic onto a version that failed): 409. */
public class ConflictException extends EmberException {

    public ConflictException(String message) {
        super(message);
    }
}
