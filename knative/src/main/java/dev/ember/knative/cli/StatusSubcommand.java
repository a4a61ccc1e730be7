package dev.ember.knative.cli;

import dev.ember.knative.rollout.DurationText;
import dev.ember.knative.rollout.RolloutState;
import dev.ember.knative.rollout.RolloutStatus;
import dev.ember.knative.rollout.TrafficPlan;
import io.fabric8.knative.serving.v1.TrafficTarget;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

import java.io.PrintWriter;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.Callable;

@Command(name = "status", mixinStandardHelpOptions = true,
        description = "Shows the rollout recorded on the Service (phase, step, revisions, last analysis) and its"
                + " traffic as written (spec) and as applied by Knative (status).")
final class StatusSubcommand implements Callable<Integer> {

    @Mixin
    ServiceTarget service;

    @Override
    public Integer call() {
        RolloutStatus status = service.onServiceRollout(rollout -> rollout.status(service.name));
        PrintWriter out = service.out();
        print(out, status);
        out.flush();
        return ExitCodes.OK;
    }

    static void print(PrintWriter out, RolloutStatus status) {
        out.printf("Service:     %s (namespace %s)%n", status.service(), status.namespace());
        if (status.state().isEmpty()) {
            out.printf("Rollout:     none recorded (latest ready revision %s)%n", status.latestReadyRevision());
        } else {
            RolloutState st = status.state().get();
            String step = st.phase().active()
                    ? ", step " + st.step() + "/" + st.plan().stepCount() + " (candidate at " + st.candidatePercent()
                    + "%" + (st.stepStartedAt() != null ? " since " + st.stepStartedAt() : "") + ")"
                    : "";
            out.printf("Rollout:     %s%s%n", st.phase(), step);
            out.printf("Stable:      %s%n", dash(st.stable()));
            out.printf("Candidate:   %s%s%n", dash(st.candidate()), st.candidate() == null ? ""
                    : status.candidateReady().map(r -> r ? " (Ready)" : " (not Ready)").orElse(" (missing)"));
            if (st.previous() != null) {
                out.printf("Previous:    %s%n", st.previous());
            }
            if (st.image() != null) {
                out.printf("Image:       %s%n", st.image());
            }
            out.printf("Plan:        steps %s%%, hold %s, check every %s%n", st.plan().encodeSteps(),
                    DurationText.format(st.plan().hold()), DurationText.format(st.plan().checkInterval()));
            out.printf("Thresholds:  %s%n", st.plan().thresholds().encode());
            if (st.driver() != null) {
                out.printf("Driver:      %s%n", st.driver());
            }
            out.printf("Last event:  %s%n", st.message());
        }
        out.println("Traffic:");
        out.printf("  %-12s %-32s %8s %8s%n", "TAG", "REVISION", "SPEC", "APPLIED");
        Set<String> rows = new LinkedHashSet<>();
        status.specTraffic().forEach(t -> rows.add(key(t)));
        status.statusTraffic().forEach(t -> rows.add(key(t)));
        for (String row : rows) {
            TrafficTarget spec = find(status.specTraffic(), row);
            TrafficTarget applied = find(status.statusTraffic(), row);
            TrafficTarget any = spec != null ? spec : applied;
            String revision = any.getRevisionName() != null ? any.getRevisionName()
                    : Boolean.TRUE.equals(any.getLatestRevision()) ? "(latest ready)" : "?";
            out.printf("  %-12s %-32s %8s %8s%n", dash(any.getTag()), revision, percent(spec), percent(applied));
        }
        if (!TrafficPlan.problems(status.specTraffic()).isEmpty()) {
            out.println("Warning:     " + String.join("; ", TrafficPlan.problems(status.specTraffic())));
        }
    }

    private static String key(TrafficTarget t) {
        return t.getTag() + "|" + (t.getRevisionName() != null ? t.getRevisionName() : "latest");
    }

    private static TrafficTarget find(List<TrafficTarget> traffic, String key) {
        return traffic.stream().filter(t -> Objects.equals(key(t), key)).findFirst().orElse(null);
    }

    private static String percent(TrafficTarget t) {
        return t == null ? "-" : (t.getPercent() == null ? 0 : t.getPercent()) + "%";
    }

    private static String dash(String s) {
        return s == null ? "-" : s;
    }
}
