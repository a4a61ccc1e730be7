package dev.ember.knative.rollout;

/** Progress of a rollout as it happens, one line per event (the CLI prints them with a time stamp). */
@FunctionalInterface
public interface RolloutListener {

    void progress(String service, String message);
}
