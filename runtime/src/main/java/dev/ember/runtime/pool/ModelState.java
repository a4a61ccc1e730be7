package dev.ember.runtime.pool;

/** Lifecycle of a model version in the warm pool. */
public enum ModelState {
    UNLOADED, LOADING, WARM, DRAINING, FAILED;

    /** Whether a request for this version can be served now, counting a load on demand. */
    public boolean canServe() {
        return this != FAILED && this != DRAINING;
    }
}
