package dev.ember.knative.metrics;

import java.util.OptionalDouble;

/**
 * What one revision did over an analysis window.
 *
 * @param requests   invocations in the window, all outcomes (Prometheus extrapolates, hence not an integer)
 * @param errors     invocations with outcome {@code server_error} or {@code timeout}
 * @param p99Seconds 99th percentile of invocation duration; empty when the revision has no latency data
 */
public record RevisionSample(String revision, double requests, double errors, OptionalDouble p99Seconds) {

    public static RevisionSample none(String revision) {
        return new RevisionSample(revision, 0, 0, OptionalDouble.empty());
    }

    /** Errors over requests; 0 when there were no requests (callers check {@link #requests()} first). */
    public double errorRate() {
        return requests > 0 ? errors / requests : 0;
    }
}
