package dev.ember.runtime.events;

/** An event refused by the ingress itself, before or instead of a function call; never leaves this package. */
final class RejectedEventException extends RuntimeException {

    final RejectReason reason;

    RejectedEventException(RejectReason reason, String message) {
        super(message, null, false, false);
        this.reason = reason;
    }
}
