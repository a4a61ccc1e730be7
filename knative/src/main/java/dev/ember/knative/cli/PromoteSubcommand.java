package dev.ember.knative.cli;

import dev.ember.knative.rollout.RolloutController;
import dev.ember.knative.rollout.RolloutState;
import io.fabric8.kubernetes.client.KubernetesClient;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.util.concurrent.Callable;

@Command(name = "promote", mixinStandardHelpOptions = true,
        description = "Sends 100%% to the candidate now, skipping the remaining steps; the candidate becomes 'stable'"
                + " and the old stable stays at 0%% as 'previous'. A running rollout of the Service stops at its next"
                + " check. Also promotes a rolled-back candidate, if it is Ready.")
final class PromoteSubcommand implements Callable<Integer> {

    @ParentCommand
    EmberRolloutCommand parent;

    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "SERVICE", description = "Name of the Knative Service.")
    String service;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        try (KubernetesClient kubernetes = parent.openClient()) {
            RolloutController controller = parent.serviceController(kubernetes,
                    (svc, message) -> parent.print(out, svc, message));
            RolloutState state = controller.promote(service);
            out.println("stable: " + state.stable() + " (100%), previous: " + state.previous() + " (0%)");
            return ExitCodes.OK;
        }
    }
}
