package dev.ember.runtime.api;

/** No such function, model or version (404). */
public class NotFoundException extends EmberException {

    public NotFoundException(String message) {
        super(message);
    }
}
