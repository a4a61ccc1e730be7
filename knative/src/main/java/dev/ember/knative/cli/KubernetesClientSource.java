package dev.ember.knative.cli;

import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;

/** Opens the Kubernetes client a command talks through; tests pass one bound to fabric8's mock API server. */
@FunctionalInterface
public interface KubernetesClientSource {

    /** @param context kubeconfig context to use; null = the current one (or in-cluster config) */
    KubernetesClient open(String context);

    static KubernetesClientSource fromKubeconfig() {
        return fromKubeconfig(ClusterConfigLocator.ofThisProcess());
    }

    /** As kubectl finds its cluster; with no configuration anywhere, fails at once instead of trying a default. */
    static KubernetesClientSource fromKubeconfig(ClusterConfigLocator locator) {
        return context -> {
            if (locator.find().isEmpty()) {
                throw new NoClusterConfigurationException(locator.notFound());
            }
            return new KubernetesClientBuilder().withConfig(Config.autoConfigure(context)).build();
        };
    }
}
