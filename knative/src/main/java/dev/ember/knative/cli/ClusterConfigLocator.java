package dev.ember.knative.cli;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Finds where a cluster's configuration would come from, the places fabric8's {@code Config.autoConfigure} reads,
 * before any client is built: without one, fabric8 falls back to {@code https://kubernetes.default.svc} and retries
 * it for some 20 seconds before failing on DNS. This says at once that there is nothing to connect to.
 */
final class ClusterConfigLocator {

    static final String SERVICE_ACCOUNT_TOKEN = "/var/run/secrets/kubernetes.io/serviceaccount/token";

    private final Map<String, String> env;
    private final Map<String, String> systemProperties;
    private final Path home;
    private final Path serviceAccountToken;

    ClusterConfigLocator(Map<String, String> env, Map<String, String> systemProperties, Path home,
                         Path serviceAccountToken) {
        this.env = env;
        this.systemProperties = systemProperties;
        this.home = home;
        this.serviceAccountToken = serviceAccountToken;
    }

    static ClusterConfigLocator ofThisProcess() {
        Map<String, String> properties = new java.util.HashMap<>();
        System.getProperties().forEach((k, v) -> properties.put(k.toString(), v.toString()));
        return new ClusterConfigLocator(System.getenv(), properties, home(System.getenv("HOME")),
                Path.of(SERVICE_ACCOUNT_TOKEN));
    }

    /** fabric8's home directory: $HOME when it is a directory, else the JVM's user.home. */
    static Path home(String homeEnv) {
        if (homeEnv != null && !homeEnv.isBlank() && Files.isDirectory(Path.of(homeEnv))) {
            return Path.of(homeEnv);
        }
        return Path.of(System.getProperty("user.home"));
    }

    /** Where the configuration comes from (for messages), or empty when there is none. */
    Optional<String> find() {
        String master = firstSet(systemProperties.get("kubernetes.master"), env.get("KUBERNETES_MASTER"));
        if (master != null) {
            return Optional.of("API server " + master + " (KUBERNETES_MASTER)");
        }
        String kubeconfig = firstSet(systemProperties.get("kubeconfig"), env.get("KUBECONFIG"));
        if (kubeconfig != null) {
            for (String file : kubeconfig.split(File.pathSeparator)) {
                if (!file.isBlank() && Files.isRegularFile(Path.of(file))) {
                    return Optional.of("kubeconfig " + file + " (KUBECONFIG)");
                }
            }
        } else {
            Path file = home.resolve(".kube").resolve("config");
            if (Files.isRegularFile(file)) {
                return Optional.of("kubeconfig " + file);
            }
        }
        if (firstSet(env.get("KUBERNETES_SERVICE_HOST"), null) != null) {
            return Optional.of("in-cluster configuration (KUBERNETES_SERVICE_HOST)");
        }
        if (Files.isRegularFile(serviceAccountToken)) {
            return Optional.of("in-cluster configuration (service account token " + serviceAccountToken + ")");
        }
        return Optional.empty();
    }

    /** Why nothing was found, every place named, and what to do. */
    String notFound() {
        List<String> looked = new ArrayList<>();
        String kubeconfig = firstSet(systemProperties.get("kubeconfig"), env.get("KUBECONFIG"));
        looked.add(kubeconfig != null ? "KUBECONFIG=" + kubeconfig + " names no existing file"
                : "no KUBECONFIG and no " + home.resolve(".kube").resolve("config"));
        looked.add("not in a pod (no KUBERNETES_SERVICE_HOST, no service account token at " + serviceAccountToken + ")");
        return "no cluster configuration found: " + String.join("; ", looked)
                + ". Point KUBECONFIG at a kubeconfig file (as for kubectl), or run the tool in a pod";
    }

    private static String firstSet(String a, String b) {
        if (a != null && !a.isBlank()) {
            return a;
        }
        return b != null && !b.isBlank() ? b : null;
    }
}
