package dev.ember.runtime.api;

/** The request exceeds a size limit (413): the message names the limit. */
public class PayloadTooLargeException extends EmberException {

    public PayloadTooLargeException(String message) {
        super(message);
    }
}
