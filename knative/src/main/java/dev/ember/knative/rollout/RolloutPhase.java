package dev.ember.knative.rollout;

/** Where a rollout stands; stored in the Service annotation {@code rollout.ember.dev/phase}. */
public enum RolloutPhase {
    /** A driver is moving traffic step by step (or crashed while doing so: resume it or roll it back). */
    Progressing,
    /** Stopped at a step because the candidate could not be judged (too few requests, no metrics); resumable. */
    Paused,
    /** The candidate took 100% and is now tagged {@code stable}. */
    Promoted,
    /** All traffic went back to the stable revision; the candidate stays at 0% with its tag. */
    RolledBack;

    public boolean active() {
        return this == Progressing || this == Paused;
    }
}
