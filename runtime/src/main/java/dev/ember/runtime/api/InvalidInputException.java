package dev.ember.runtime.api;

/** The request itself is wrong (400): the message names the input or field. */
public class InvalidInputException extends EmberException {

    public InvalidInputException(String message) {
        super(message);
    }
}
