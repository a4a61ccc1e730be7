package dev.ember.knative.rollout;

/** How a {@code rollout} run ended. */
public record RolloutOutcome(Result result, RolloutState state) {

    public enum Result {
        PROMOTED, ROLLED_BACK, PAUSED
    }

    public String message() {
        return state.message();
    }
}
