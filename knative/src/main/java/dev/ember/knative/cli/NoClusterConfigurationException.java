package dev.ember.knative.cli;

/** Neither a kubeconfig nor an in-cluster configuration exists: there is no cluster to talk to. */
final class NoClusterConfigurationException extends RuntimeException {

    NoClusterConfigurationException(String message) {
        super(message);
    }
}
