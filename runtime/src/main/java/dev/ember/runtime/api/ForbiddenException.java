package dev.ember.runtime.api;

/** The operation is switched off here (403): no token makes it allowed, e.g. management writes with no token configured. */
public class ForbiddenException extends EmberException {

    public ForbiddenException(String message) {
        super(message);
    }
}
