package dev.ember.knative.cli;

/** Exit codes of ember-rollout, for scripts and CI pipelines. */
final class ExitCodes {

    /** The rollout promoted the candidate, or a status/promote/rollback command did what it was asked. */
    static final int OK = 0;
    /** The candidate failed a gate (or never became Ready) and all traffic went back to stable. */
    static final int ROLLED_BACK = 1;
    /** Bad command line. */
    static final int USAGE = 2;
    /** The rollout paused: the candidate could not be judged (too few requests, no metrics). */
    static final int PAUSED = 3;
    /** The command could not finish: API server error, timeout, or another client took the rollout over. */
    static final int ERROR = 4;

    private ExitCodes() {
    }
}
