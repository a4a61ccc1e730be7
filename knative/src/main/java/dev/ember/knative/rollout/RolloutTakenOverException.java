package dev.ember.knative.rollout;

/**
 * Another client changed the rollout under this driver: someone ran {@code rollback} or {@code promote}, or a
 * second {@code rollout} resumed it. This driver stops and leaves the Service as the other client set it.
 */
public class RolloutTakenOverException extends RolloutException {

    public RolloutTakenOverException(String message) {
        super(message);
    }
}
