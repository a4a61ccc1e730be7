package dev.ember.runtime.traffic;

import dev.ember.runtime.api.InvalidInputException;

import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * A function's version split in Knative's terms: each target has a share of unpinned traffic and an optional tag.
 * Immutable: a change replaces the whole split, so a request sees either the old split or the new one.
 */
public record TrafficSplit(List<Target> targets) {

    public record Target(int version, int percent, String tag) {
    }

    public TrafficSplit {
        targets = List.copyOf(targets);
    }

    /** Checks the split against the versions that exist; the message names what is wrong. */
    public void validate(Set<Integer> versions) {
        if (targets.isEmpty()) {
            throw new InvalidInputException("'traffic' must name at least one version");
        }
        int sum = 0;
        Set<Integer> seen = new HashSet<>();
        Set<String> tags = new HashSet<>();
        for (Target t : targets) {
            if (!versions.contains(t.version())) {
                throw new InvalidInputException("'traffic': version " + t.version() + " does not exist");
            }
            if (!seen.add(t.version())) {
                throw new InvalidInputException("'traffic': version " + t.version() + " is listed twice");
            }
            if (t.percent() < 0 || t.percent() > 100) {
                throw new InvalidInputException("'traffic': percent of version " + t.version() + " must be 0-100");
            }
            if (t.tag() != null && !tags.add(t.tag())) {
                throw new InvalidInputException("'traffic': tag '" + t.tag() + "' is used twice");
            }
            sum += t.percent();
        }
        if (sum != 100) {
            throw new InvalidInputException("'traffic': percents sum to " + sum + ", not 100");
        }
    }

    /** The version for a draw in [0, 100). */
    int pick(int draw) {
        int acc = 0;
        for (Target t : targets) {
            acc += t.percent();
            if (draw < acc) {
                return t.version();
            }
        }
        return targets.get(targets.size() - 1).version();
    }

    Optional<Integer> tagged(String tag) {
        return targets.stream().filter(t -> tag.equals(t.tag())).map(Target::version).findFirst();
    }
}
