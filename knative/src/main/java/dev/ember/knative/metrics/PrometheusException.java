package dev.ember.knative.metrics;

/** The Prometheus HTTP API could not answer a query: unreachable, an error status, or a body it cannot read. */
public class PrometheusException extends Exception {

    public PrometheusException(String message) {
        super(message);
    }

    public PrometheusException(String message, Throwable cause) {
        super(message, cause);
    }
}
