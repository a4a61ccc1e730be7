package dev.ember.knative.metrics;

/** Where a rollout gate reads a revision's traffic, errors and latency from. */
public interface RevisionMetrics {

    /**
     * @param service  the Knative Service (Ember's {@code service} metric tag, from K_SERVICE)
     * @param revision the revision (Ember's {@code revision} metric tag, from K_REVISION)
     */
    RevisionSample sample(String service, String revision, SampleWindow window) throws PrometheusException;
}
