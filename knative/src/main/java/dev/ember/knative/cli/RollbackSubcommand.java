package dev.ember.knative.cli;

import dev.ember.knative.rollout.RolloutState;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.util.concurrent.Callable;

@Command(name = "rollback", mixinStandardHelpOptions = true,
        description = "Sends 100%% back to the stable revision; the candidate stays at 0%% with tag 'candidate' for"
                + " debugging. A running rollout of the Service stops at its next check. After a promotion, returns"
                + " to the revision the promotion replaced ('previous').")
final class RollbackSubcommand implements Callable<Integer> {

    @Mixin
    ServiceTarget service;

    @Option(names = "--reason", defaultValue = "requested by hand",
            description = "Why, recorded in the rollout.ember.dev/message annotation (default: ${DEFAULT-VALUE}).")
    String reason;

    @Override
    public Integer call() {
        RolloutState state = service.onServiceRollout(rollout -> rollout.rollback(service.name, reason));
        service.out().println("stable: " + state.stable() + " (100%), candidate: " + state.candidate() + " (0%)");
        return ExitCodes.OK;
    }
}
