package dev.ember.runtime.api;

/** The model or the runtime failed on a valid request (500). */
public class InferenceFailedException extends EmberException {

    public InferenceFailedException(String message, Throwable cause) {
        super(message, cause);
    }
}
