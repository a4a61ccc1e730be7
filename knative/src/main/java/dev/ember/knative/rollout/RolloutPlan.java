package dev.ember.knative.rollout;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;

/**
 * How a rollout moves: the candidate's traffic percentages in order, how long each is held before it is judged,
 * how often it is checked meanwhile (a clearly failing candidate is rolled back before the hold ends), and the
 * thresholds of the gate.
 */
public record RolloutPlan(List<Integer> steps, Duration hold, Duration checkInterval, AnalysisThresholds thresholds) {

    public static final List<Integer> DEFAULT_STEPS = List.of(5, 25, 50, 100);

    public RolloutPlan {
        steps = List.copyOf(steps);
        if (steps.isEmpty()) {
            throw new IllegalArgumentException("a rollout needs at least one step");
        }
        int previous = 0;
        for (int percent : steps) {
            if (percent <= previous || percent > 100) {
                throw new IllegalArgumentException("steps must rise strictly within 1..100, got " + steps);
            }
            previous = percent;
        }
        if (previous != 100) {
            throw new IllegalArgumentException("the last step must be 100 (the candidate takes all traffic before it"
                    + " is promoted), got " + steps);
        }
        if (hold.isNegative() || hold.isZero()) {
            throw new IllegalArgumentException("step hold must be positive, was " + hold);
        }
        if (checkInterval.isNegative() || checkInterval.isZero()) {
            throw new IllegalArgumentException("check interval must be positive, was " + checkInterval);
        }
    }

    /** Percent of the given 1-based step. */
    public int percent(int step) {
        return steps.get(step - 1);
    }

    public int stepCount() {
        return steps.size();
    }

    public String encodeSteps() {
        return steps.stream().map(String::valueOf).collect(Collectors.joining(","));
    }

    public static List<Integer> parseSteps(String text) {
        List<Integer> steps = new ArrayList<>();
        for (String part : text.split(",")) {
            String p = part.strip();
            if (p.endsWith("%")) {
                p = p.substring(0, p.length() - 1);
            }
            try {
                steps.add(Integer.parseInt(p));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("steps must be percentages like 5,25,50,100; got '" + text + "'");
            }
        }
        return steps;
    }

    @Override
    public String toString() {
        return "steps " + Arrays.toString(steps.toArray()) + ", hold " + DurationText.format(hold);
    }
}
