package dev.ember.knative.rollout;

/** A rollout command cannot go on: a precondition does not hold, a wait timed out, or the API server refused. */
public class RolloutException extends RuntimeException {

    public RolloutException(String message) {
        super(message);
    }

    public RolloutException(String message, Throwable cause) {
        super(message, cause);
    }
}
