package dev.ember.knative.cli;

import dev.ember.knative.rollout.RolloutState;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

import java.util.concurrent.Callable;

@Command(name = "promote", mixinStandardHelpOptions = true,
        description = "Sends 100%% to the candidate now, skipping the remaining steps; the candidate becomes 'stable'"
                + " and the old stable stays at 0%% as 'previous'. A running rollout of the Service stops at its next"
                + " check. Also promotes a rolled-back candidate, if it is Ready.")
final class PromoteSubcommand implements Callable<Integer> {

    @Mixin
    ServiceTarget service;

    @Override
    public Integer call() {
        RolloutState state = service.onServiceRollout(rollout -> rollout.promote(service.name));
        service.out().println("stable: " + state.stable() + " (100%), previous: " + state.previous() + " (0%)");
        return ExitCodes.OK;
    }
}
