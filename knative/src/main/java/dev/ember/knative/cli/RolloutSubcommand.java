package dev.ember.knative.cli;

import dev.ember.knative.rollout.AnalysisThresholds;
import dev.ember.knative.rollout.CandidateSource;
import dev.ember.knative.rollout.RolloutDriver;
import dev.ember.knative.rollout.RolloutOutcome;
import dev.ember.knative.rollout.RolloutPlan;
import dev.ember.knative.rollout.RolloutTimeouts;
import io.fabric8.knative.client.KnativeClient;
import io.fabric8.kubernetes.client.KubernetesClient;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;

@Command(name = "rollout", mixinStandardHelpOptions = true, sortOptions = false,
        description = {
                "Creates the candidate revision at 0%% with tag 'candidate' (from --image, or an existing --revision),"
                        + " waits until it is Ready, then moves traffic to it step by step, tagging the current"
                        + " revision 'stable'. Each step is held, then judged on candidate vs stable; a failed step"
                        + " sends 100%% back to stable (the candidate stays at 0%% with its tag), the last passed step"
                        + " promotes the candidate.",
                "Without --image or --revision: resumes the rollout recorded on the Service (after a crash or a"
                        + " pause), with the plan and thresholds it was started with."})
final class RolloutSubcommand implements Callable<Integer> {

    static final class Candidate {
        @Option(names = "--image", required = true,
                description = "Image of the candidate: stamped into the Service's template, creating a new revision.")
        String image;

        @Option(names = "--revision", required = true,
                description = "Existing revision of this Service to roll out as the candidate.")
        String revision;
    }

    @Mixin
    ServiceTarget service;

    @Spec
    CommandSpec spec;

    @ArgGroup(exclusive = true, multiplicity = "0..1")
    Candidate candidate;

    @Option(names = "--candidate-name",
            description = "Name of the new revision with --image (must start with SERVICE-; default: SERVICE-<hash>).")
    String candidateName;

    @Option(names = "--container",
            description = "Container that gets --image, when the Service has more than one.")
    String container;

    @Option(names = "--steps", defaultValue = "5,25,50,100",
            description = "Candidate traffic percentages, rising, ending at 100 (default: ${DEFAULT-VALUE}).")
    String steps;

    @Option(names = "--step-hold", defaultValue = "2m", converter = DurationConverter.class,
            description = "How long each step is held before it is judged on the metrics since the step began."
                    + " Keep it several Prometheus scrape intervals long (default: ${DEFAULT-VALUE}).")
    Duration hold;

    @Option(names = "--check-interval", defaultValue = "30s", converter = DurationConverter.class,
            description = "How often a step is checked during its hold; a clear failure rolls back at once"
                    + " (default: ${DEFAULT-VALUE}).")
    Duration checkInterval;

    @Option(names = "--max-error-rate", defaultValue = "0.01",
            description = "Fail when the candidate's error rate (outcome server_error or timeout over all"
                    + " invocations) is above this fraction (default: ${DEFAULT-VALUE} = 1%%).")
    double maxErrorRate;

    @Option(names = "--max-error-rate-increase", defaultValue = "0.005",
            description = "Fail when the candidate's error rate exceeds stable's by more than this fraction"
                    + " (default: ${DEFAULT-VALUE} = 0.5 points).")
    double maxErrorRateIncrease;

    @Option(names = "--max-p99", converter = DurationConverter.class,
            description = "Fail when the candidate's p99 latency is above this (default: no absolute ceiling).")
    Duration maxP99;

    @Option(names = "--max-p99-ratio", defaultValue = "1.5",
            description = "Fail when the candidate's p99 is more than this many times stable's ... (default: ${DEFAULT-VALUE})")
    double maxP99Ratio;

    @Option(names = "--p99-tolerance", defaultValue = "10ms", converter = DurationConverter.class,
            description = "... and more than this above it; histogram buckets make small differences noise"
                    + " (default: ${DEFAULT-VALUE}).")
    Duration p99Tolerance;

    @Option(names = "--min-requests", defaultValue = "50",
            description = "A step is judged only once the candidate served this many requests in its window;"
                    + " with fewer it is inconclusive, never failed (default: ${DEFAULT-VALUE}).")
    long minRequests;

    @Option(names = "--max-inconclusive", defaultValue = "3",
            description = "Inconclusive analyses of one step (each extends the hold) before the rollout pauses"
                    + " (default: ${DEFAULT-VALUE}).")
    int maxInconclusive;

    @Option(names = "--ready-timeout", defaultValue = "15m", converter = DurationConverter.class,
            description = "How long the candidate may take to become Ready: image pull plus model load"
                    + " (default: ${DEFAULT-VALUE}).")
    Duration readyTimeout;

    @Option(names = "--route-timeout", defaultValue = "2m", converter = DurationConverter.class,
            description = "How long Knative may take to apply a traffic step (default: ${DEFAULT-VALUE}).")
    Duration routeTimeout;

    @Option(names = "--poll-interval", defaultValue = "1s", converter = DurationConverter.class,
            description = "How often the Service and Revision are read while waiting (default: ${DEFAULT-VALUE}).")
    Duration pollInterval;

    @Mixin
    PrometheusOptions prometheus;

    private static final List<String> PLAN_OPTIONS = List.of("--steps", "--step-hold", "--check-interval",
            "--max-error-rate", "--max-error-rate-increase", "--max-p99", "--max-p99-ratio", "--p99-tolerance",
            "--min-requests", "--max-inconclusive", "--candidate-name", "--container");

    @Override
    public Integer call() {
        try (KubernetesClient kubernetes = service.openClient()) {
            KnativeClient knative = kubernetes.adapt(KnativeClient.class);
            RolloutDriver driver = new RolloutDriver(knative, service.namespace(kubernetes),
                    prometheus.metrics(service.pacer().clock()), service.pacer(),
                    new RolloutTimeouts(readyTimeout, routeTimeout, pollInterval),
                    service.printer(), EmberRolloutCommand.driverId());
            RolloutOutcome outcome;
            if (candidate == null) {
                List<String> ignored = PLAN_OPTIONS.stream()
                        .filter(o -> spec.commandLine().getParseResult().hasMatchedOption(o)).toList();
                if (!ignored.isEmpty()) {
                    spec.commandLine().getErr().println("note: resuming with the plan recorded on the Service; "
                            + String.join(", ", ignored) + " ignored");
                }
                outcome = driver.resume(service.name);
            } else {
                CandidateSource source = candidate.image != null
                        ? new CandidateSource.Image(candidate.image, Optional.ofNullable(container),
                        Optional.ofNullable(candidateName))
                        : new CandidateSource.Existing(candidate.revision);
                outcome = driver.start(service.name, source, plan());
            }
            return switch (outcome.result()) {
                case PROMOTED -> ExitCodes.OK;
                case ROLLED_BACK -> ExitCodes.ROLLED_BACK;
                case PAUSED -> ExitCodes.PAUSED;
            };
        }
    }

    RolloutPlan plan() {
        AnalysisThresholds thresholds = new AnalysisThresholds(maxErrorRate, maxErrorRateIncrease,
                Optional.ofNullable(maxP99), maxP99Ratio, p99Tolerance, minRequests, maxInconclusive);
        return new RolloutPlan(RolloutPlan.parseSteps(steps), hold, checkInterval, thresholds);
    }
}
