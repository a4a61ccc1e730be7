package dev.ember.knative.rollout;

import io.fabric8.knative.serving.v1.TrafficTarget;
import io.fabric8.knative.serving.v1.TrafficTargetBuilder;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The {@code spec.traffic} blocks of a rollout between a stable and a candidate revision. Both are always pinned
 * by revision name (never {@code latestRevision}), so a new revision created meanwhile takes no traffic by
 * accident. Targets with other tags (e.g. {@code previous}, or a user's own) are kept at 0%.
 */
public final class TrafficPlan {

    public static final String STABLE_TAG = "stable";
    public static final String CANDIDATE_TAG = "candidate";
    /** The revision a promotion replaced, kept at 0% so that {@code rollback} can return to it. */
    public static final String PREVIOUS_TAG = "previous";

    private static final Pattern TAG = Pattern.compile("[a-z0-9]([-a-z0-9]*[a-z0-9])?");

    private final String stable;
    private final String candidate;

    public TrafficPlan(String stable, String candidate) {
        this.stable = Objects.requireNonNull(stable, "stable");
        this.candidate = Objects.requireNonNull(candidate, "candidate");
        if (stable.equals(candidate)) {
            throw new IllegalArgumentException("candidate and stable are the same revision: " + stable);
        }
    }

    /** {@code candidatePercent} to the candidate, the rest to stable. */
    public List<TrafficTarget> split(int candidatePercent, List<TrafficTarget> current) {
        if (candidatePercent < 0 || candidatePercent > 100) {
            throw new IllegalArgumentException("percent must be within 0..100, was " + candidatePercent);
        }
        List<TrafficTarget> traffic = new ArrayList<>();
        traffic.add(pinned(stable, 100 - candidatePercent, STABLE_TAG));
        traffic.add(pinned(candidate, candidatePercent, CANDIDATE_TAG));
        traffic.addAll(others(current, Set.of(STABLE_TAG, CANDIDATE_TAG)));
        return traffic;
    }

    /** All traffic to the candidate, now tagged stable; the old stable stays reachable as {@code previous}. */
    public List<TrafficTarget> promoted(List<TrafficTarget> current) {
        List<TrafficTarget> traffic = new ArrayList<>();
        traffic.add(pinned(candidate, 100, STABLE_TAG));
        traffic.add(pinned(stable, 0, PREVIOUS_TAG));
        traffic.addAll(others(current, Set.of(STABLE_TAG, CANDIDATE_TAG, PREVIOUS_TAG)));
        return traffic;
    }

    /**
     * All traffic to stable. The candidate keeps its tag at 0% for debugging unless it never became Ready: a
     * target on a failed revision would keep the whole Route from becoming Ready.
     */
    public List<TrafficTarget> rolledBack(boolean keepCandidate, List<TrafficTarget> current) {
        List<TrafficTarget> traffic = new ArrayList<>();
        traffic.add(pinned(stable, 100, STABLE_TAG));
        if (keepCandidate) {
            traffic.add(pinned(candidate, 0, CANDIDATE_TAG));
        }
        // undoing a promotion: "previous" named the revision that is stable again
        others(current, Set.of(STABLE_TAG, CANDIDATE_TAG)).stream()
                .filter(t -> !(PREVIOUS_TAG.equals(t.getTag()) && stable.equals(t.getRevisionName())))
                .forEach(traffic::add);
        return traffic;
    }

    private static TrafficTarget pinned(String revision, int percent, String tag) {
        return new TrafficTargetBuilder()
                .withRevisionName(revision)
                .withLatestRevision(false)
                .withPercent((long) percent)
                .withTag(tag)
                .build();
    }

    /** Tagged targets this plan does not own, at 0% (the plan's own targets always add up to 100). */
    private static List<TrafficTarget> others(List<TrafficTarget> current, Set<String> ownTags) {
        List<TrafficTarget> kept = new ArrayList<>();
        if (current == null) {
            return kept;
        }
        for (TrafficTarget t : current) {
            if (t.getTag() != null && !ownTags.contains(t.getTag())) {
                kept.add(new TrafficTargetBuilder(t).withPercent(0L).withUrl(null).build());
            }
        }
        return kept;
    }

    /** Percent of traffic a block gives to a revision by name (targets may repeat a revision under several tags). */
    public static long percentOf(List<TrafficTarget> traffic, String revision) {
        if (traffic == null) {
            return 0;
        }
        return traffic.stream()
                .filter(t -> revision.equals(t.getRevisionName()))
                .mapToLong(t -> t.getPercent() == null ? 0 : t.getPercent())
                .sum();
    }

    /**
     * The rules Knative's admission webhook applies to a Service's {@code spec.traffic} beyond the CRD schema;
     * an empty list means the block would be accepted.
     */
    public static List<String> problems(List<TrafficTarget> traffic) {
        List<String> problems = new ArrayList<>();
        if (traffic == null || traffic.isEmpty()) {
            return problems;
        }
        long sum = 0;
        Set<String> tags = new HashSet<>();
        for (int i = 0; i < traffic.size(); i++) {
            TrafficTarget t = traffic.get(i);
            String at = "spec.traffic[" + i + "]";
            long percent = t.getPercent() == null ? 0 : t.getPercent();
            if (percent < 0 || percent > 100) {
                problems.add(at + ".percent must be within 0..100, was " + percent);
            }
            sum += percent;
            boolean latest = Boolean.TRUE.equals(t.getLatestRevision());
            boolean named = t.getRevisionName() != null && !t.getRevisionName().isEmpty();
            if (t.getConfigurationName() != null) {
                problems.add(at + ".configurationName is not allowed on a Service (it owns its Configuration)");
            }
            if (latest == named) {
                problems.add(at + ": exactly one of revisionName and latestRevision: true must be set");
            }
            if (t.getUrl() != null) {
                problems.add(at + ".url is output only (status), not allowed in spec");
            }
            if (t.getTag() != null) {
                if (!TAG.matcher(t.getTag()).matches()) {
                    problems.add(at + ".tag '" + t.getTag() + "' is not a DNS label");
                }
                if (!tags.add(t.getTag())) {
                    problems.add(at + ".tag '" + t.getTag() + "' is used twice");
                }
            }
        }
        if (sum != 100) {
            problems.add("spec.traffic percentages add up to " + sum + ", not 100");
        }
        return problems;
    }
}
