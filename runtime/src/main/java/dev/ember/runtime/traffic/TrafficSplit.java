package dev.ember.runtime.traffic;

import dev.ember.runtime.repository.ModelNames;

import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * A function's version split in Knative's terms: each target has a share of unpinned traffic and an optional tag;
 * versions not listed take no unpinned traffic and still serve pins. Immutable: a change replaces the whole split,
 * so a request sees either the old split or the new one.
 */
public record TrafficSplit(List<Target> targets) {

    public record Target(int version, int percent, String tag) {
    }

    public TrafficSplit {
        targets = targets.stream().sorted(Comparator.comparingInt(Target::version)).toList();
    }

    /** What is wrong with this split for a function with these versions; empty when it can be put in force. */
    public Optional<String> problem(String function, Set<Integer> versions) {
        if (targets.isEmpty()) {
            return Optional.of("it must name at least one version");
        }
        int sum = 0;
        Set<Integer> seen = new HashSet<>();
        Map<String, Integer> tags = new HashMap<>();
        for (Target t : targets) {
            if (!versions.contains(t.version())) {
                return Optional.of("function '" + function + "' has no version " + t.version());
            }
            if (!seen.add(t.version())) {
                return Optional.of("version " + t.version() + " is listed twice");
            }
            if (t.percent() < 0 || t.percent() > 100) {
                return Optional.of("the percent of version " + t.version() + " must be from 0 to 100, not "
                        + t.percent());
            }
            if (t.tag() != null) {
                if (!ModelNames.isValidName(t.tag())) {
                    return Optional.of("the tag '" + t.tag() + "' of version " + t.version()
                            + " is not a valid tag (letters, digits, '_', '.', '-')");
                }
                Integer other = tags.putIfAbsent(t.tag(), t.version());
                if (other != null) {
                    return Optional.of("the tag '" + t.tag() + "' is given to versions " + other + " and "
                            + t.version());
                }
            }
            sum += t.percent();
        }
        if (sum != 100) {
            return Optional.of("the percents of function '" + function + "' sum to " + sum + ", not 100");
        }
        return Optional.empty();
    }

    /** The share of unpinned traffic a version takes: 0 when it is not listed. */
    public int percent(int version) {
        return targets.stream().filter(t -> t.version() == version).mapToInt(Target::percent).findFirst().orElse(0);
    }

    /** The version for a draw in [0, 100); versions at 0% are never drawn. */
    int pick(int draw) {
        int acc = 0;
        for (Target t : targets) {
            acc += t.percent();
            if (draw < acc) {
                return t.version();
            }
        }
        throw new IllegalStateException("draw " + draw + " beyond a split summing to " + acc);
    }

    Optional<Integer> tagged(String tag) {
        return targets.stream().filter(t -> tag.equals(t.tag())).map(Target::version).findFirst();
    }
}
