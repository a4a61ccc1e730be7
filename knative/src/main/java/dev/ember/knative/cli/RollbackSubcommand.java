package dev.ember.knative.cli;

import dev.ember.knative.rollout.RolloutController;
import dev.ember.knative.rollout.RolloutState;
import io.fabric8.kubernetes.client.KubernetesClient;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.util.concurrent.Callable;

@Command(name = "rollback", mixinStandardHelpOptions = true,
        description = "Sends 100%% back to the stable revision; the candidate stays at 0%% with tag 'candidate' for"
                + " debugging. A running rollout of the Service stops at its next check. After a promotion, returns"
                + " to the revision the promotion replaced ('previous').")
final class RollbackSubcommand implements Callable<Integer> {

    @ParentCommand
    EmberRolloutCommand parent;

    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "SERVICE", description = "Name of the Knative Service.")
    String service;

    @Option(names = "--reason", defaultValue = "requested by hand",
            description = "Why, recorded in the rollout.ember.dev/message annotation (default: ${DEFAULT-VALUE}).")
    String reason;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        try (KubernetesClient kubernetes = parent.openClient()) {
            RolloutController controller = parent.serviceController(kubernetes,
                    (svc, message) -> parent.print(out, svc, message));
            RolloutState state = controller.rollback(service, reason);
            out.println("stable: " + state.stable() + " (100%), candidate: " + state.candidate() + " (0%)");
            return ExitCodes.OK;
        }
    }
}
