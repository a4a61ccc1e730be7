package dev.ember.runtime.api;

/** A model version could not be read, verified or turned into a session; the message says which and why. */
public class ModelLoadException extends Exception {

    public ModelLoadException(String message) {
        super(message);
    }

    public ModelLoadException(String message, Throwable cause) {
        super(message, cause);
    }
}
