package dev.ember.knative.cli;

import dev.ember.knative.rollout.Pacer;
import dev.ember.knative.rollout.RolloutException;
import io.fabric8.kubernetes.client.KubernetesClientException;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;

import java.io.PrintWriter;
import java.util.HexFormat;
import java.util.concurrent.ThreadLocalRandom;

@Command(name = "ember-rollout",
        mixinStandardHelpOptions = true,
        version = "ember-rollout 0.1.0",
        subcommands = {RolloutSubcommand.class, StatusSubcommand.class, PromoteSubcommand.class,
                RollbackSubcommand.class, CommandLine.HelpCommand.class},
        description = {
                "Rolls a new revision of a Knative Service out by traffic steps, judging each step on Ember's"
                        + " Prometheus metrics (error rate and p99 latency of candidate vs stable), and promotes it"
                        + " or rolls it back automatically.",
                "State lives in rollout.ember.dev/* annotations on the Service: an interrupted rollout is resumed"
                        + " with `rollout SERVICE`, or ended with `promote`/`rollback`."},
        footer = {"", "Exit codes: 0 promoted / done, 1 rolled back by a failed gate, 2 usage error,"
                + " 3 paused (candidate could not be judged), 4 error (API server, timeout, taken over by another client)."})
public final class EmberRolloutCommand {

    @Option(names = {"-n", "--namespace"}, scope = ScopeType.INHERIT,
            description = "Namespace of the Knative Service (default: the kubeconfig context's namespace, else 'default').")
    String namespace;

    @Option(names = "--context", scope = ScopeType.INHERIT,
            description = "kubeconfig context to use (default: the current context, or in-cluster configuration).")
    String context;

    final KubernetesClientSource clients;
    final Pacer pacer;

    public EmberRolloutCommand(KubernetesClientSource clients, Pacer pacer) {
        this.clients = clients;
        this.pacer = pacer;
    }

    public static void main(String[] args) {
        System.exit(commandLine(KubernetesClientSource.fromKubeconfig(), Pacer.system()).execute(args));
    }

    public static CommandLine commandLine(KubernetesClientSource clients, Pacer pacer) {
        CommandLine cl = new CommandLine(new EmberRolloutCommand(clients, pacer));
        cl.setExecutionExceptionHandler((e, commandLine, parseResult) -> {
            PrintWriter err = commandLine.getErr();
            if (e instanceof RolloutException || e instanceof KubernetesClientException) {
                Throwable root = e;
                while (root.getCause() != null && root.getCause() != root) {
                    root = root.getCause();
                }
                // fabric8's own message names the operation; the root cause says why (DNS, TLS, 403...)
                err.println("error: " + e.getMessage()
                        + (root != e && root.getMessage() != null ? " (" + root.getMessage() + ")" : ""));
                return ExitCodes.ERROR;
            }
            if (e instanceof NoClusterConfigurationException) {
                err.println("error: " + e.getMessage());
                return ExitCodes.ERROR;
            }
            if (e instanceof IllegalArgumentException) {
                err.println("error: " + e.getMessage());
                return ExitCodes.USAGE;
            }
            // anything else is unexpected: show where, but never exit with 1, which means "rolled back"
            e.printStackTrace(err);
            return ExitCodes.ERROR;
        });
        return cl;
    }

    /** Who drives a rollout, recorded on the Service so a second driver can tell it took over. */
    static String driverId() {
        String host = System.getenv().getOrDefault("HOSTNAME", "local");
        byte[] random = new byte[2];
        ThreadLocalRandom.current().nextBytes(random);
        return host + "-" + ProcessHandle.current().pid() + "-" + HexFormat.of().formatHex(random);
    }
}
