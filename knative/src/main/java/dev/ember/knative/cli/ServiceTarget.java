package dev.ember.knative.cli;

import dev.ember.knative.rollout.Pacer;
import dev.ember.knative.rollout.RolloutListener;
import dev.ember.knative.rollout.ServiceRollout;
import io.fabric8.knative.client.KnativeClient;
import io.fabric8.kubernetes.client.KubernetesClient;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.time.LocalTime;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.function.Function;

/**
 * The Knative Service a subcommand acts on, mixed into each of them: its SERVICE parameter, and the client and
 * namespace that the root command's --context and -n/--namespace (inherited by every subcommand) choose for it.
 */
final class ServiceTarget {

    @Spec(Spec.Target.MIXEE)
    CommandSpec subcommand;

    @Parameters(index = "0", paramLabel = "SERVICE", description = "Name of the Knative Service.")
    String name;

    /** A client for this one command; the caller closes it. */
    KubernetesClient openClient() {
        return root().clients.open(root().context);
    }

    String namespace(KubernetesClient client) {
        String namespace = root().namespace;
        if (namespace != null && !namespace.isBlank()) {
            return namespace;
        }
        return client.getNamespace() != null ? client.getNamespace() : "default";
    }

    Pacer pacer() {
        return root().pacer;
    }

    PrintWriter out() {
        return subcommand.commandLine().getOut();
    }

    /** Prints one line per event: {@code 10:15:04 embed: step 2/4: 25% to ...}. */
    RolloutListener printer() {
        PrintWriter out = out();
        return (service, message) -> {
            out.println(LocalTime.ofInstant(pacer().clock().instant(), ZoneId.systemDefault())
                    .format(DateTimeFormatter.ofPattern("HH:mm:ss")) + " " + service + ": " + message);
            out.flush();
        };
    }

    /** Runs {@code action} on the rollout recorded on the Service (status, promote, rollback: no metrics). */
    <T> T onServiceRollout(Function<ServiceRollout, T> action) {
        try (KubernetesClient kubernetes = openClient()) {
            return action.apply(new ServiceRollout(kubernetes.adapt(KnativeClient.class), namespace(kubernetes),
                    pacer(), printer()));
        }
    }

    private EmberRolloutCommand root() {
        return (EmberRolloutCommand) subcommand.parent().userObject();
    }
}
