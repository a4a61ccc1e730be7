package dev.ember.knative.rollout;

import dev.ember.knative.metrics.RevisionSample;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.OptionalDouble;

/**
 * Candidate versus stable over one window: error rate and p99 latency against {@link AnalysisThresholds}.
 *
 * <p>The minimum-request rule: a candidate with fewer than {@code minRequests} invocations in the window is
 * never failed, only reported inconclusive (a revision without traffic has no error rate). The stable baseline is
 * used only if it, too, has {@code minRequests}; without one the candidate is judged on the absolute ceilings
 * alone ({@code maxErrorRate}, {@code maxP99}).
 */
public final class StepAnalysis {

    private final AnalysisThresholds thresholds;

    public StepAnalysis(AnalysisThresholds thresholds) {
        this.thresholds = thresholds;
    }

    /**
     * @param candidate the candidate over the window
     * @param baseline  the stable revision over the same window (or the one before this step when it had no traffic
     *                  in this one); empty when there is none
     * @param baselineLabel how to name the baseline in the summary
     */
    public GateResult evaluate(RevisionSample candidate, Optional<RevisionSample> baseline, String baselineLabel) {
        Optional<RevisionSample> stable = baseline.filter(b -> b.requests() >= thresholds.minRequests());
        String numbers = describe("candidate", candidate) + "; "
                + stable.map(b -> describe(baselineLabel, b)).orElse("stable: no baseline (absolute limits only)");
        String gates = gates(candidate, stable, baselineLabel);
        if (candidate.requests() < thresholds.minRequests()) {
            return new GateResult(GateResult.Verdict.INCONCLUSIVE, String.format(Locale.ROOT,
                    "candidate served %.0f requests, fewer than the %d needed to judge it; %s",
                    candidate.requests(), thresholds.minRequests(), numbers), gates);
        }
        List<String> failures = new ArrayList<>();
        double errorRate = candidate.errorRate();
        if (errorRate > thresholds.maxErrorRate()) {
            failures.add(String.format(Locale.ROOT, "error rate %s above the ceiling %s",
                    percent(errorRate), percent(thresholds.maxErrorRate())));
        }
        stable.ifPresent(b -> {
            if (errorRate > b.errorRate() + thresholds.maxErrorRateIncrease()) {
                failures.add(String.format(Locale.ROOT, "error rate %s exceeds stable's %s by more than %s",
                        percent(errorRate), percent(b.errorRate()), percent(thresholds.maxErrorRateIncrease())));
            }
        });
        OptionalDouble p99 = candidate.p99Seconds();
        if (p99.isEmpty()) {
            if (!failures.isEmpty()) {
                return new GateResult(GateResult.Verdict.FAIL, String.join("; ", failures) + " (" + numbers + ")", gates);
            }
            return new GateResult(GateResult.Verdict.INCONCLUSIVE,
                    "candidate has requests but no latency histogram (ember_invocation_duration_seconds_bucket); "
                            + numbers, gates);
        }
        double candidateP99 = p99.getAsDouble();
        thresholds.maxP99().ifPresent(max -> {
            if (candidateP99 > max.toNanos() / 1e9) {
                failures.add("p99 " + millis(candidateP99) + " above the ceiling " + millis(max.toNanos() / 1e9));
            }
        });
        stable.flatMap(b -> b.p99Seconds().isPresent() ? Optional.of(b.p99Seconds().getAsDouble()) : Optional.empty())
                .ifPresent(stableP99 -> {
                    double tolerance = thresholds.p99Tolerance().toNanos() / 1e9;
                    if (candidateP99 > stableP99 * thresholds.maxP99Ratio() && candidateP99 - stableP99 > tolerance) {
                        failures.add(String.format(Locale.ROOT, "p99 %s is more than %sx stable's %s",
                                millis(candidateP99), trim(thresholds.maxP99Ratio()), millis(stableP99)));
                    }
                });
        if (!failures.isEmpty()) {
            return new GateResult(GateResult.Verdict.FAIL, String.join("; ", failures) + " (" + numbers + ")", gates);
        }
        return new GateResult(GateResult.Verdict.PASS, numbers, gates);
    }

    /**
     * The candidate's numbers against the limit each is judged by, the tighter of the absolute and the relative one:
     * {@code errors 0.1% (limit 0.6% = stable's 0.1% + 0.5%), p99 40ms (limit 60ms = 1.5x stable's 40ms), 480
     * requests (judged from 50)}.
     */
    String gates(RevisionSample candidate, Optional<RevisionSample> stable, String baselineLabel) {
        double errorLimit = thresholds.maxErrorRate();
        String errorWhy = "ceiling";
        if (stable.isPresent() && stable.get().errorRate() + thresholds.maxErrorRateIncrease() < errorLimit) {
            errorLimit = stable.get().errorRate() + thresholds.maxErrorRateIncrease();
            errorWhy = baselineLabel + "'s " + percent(stable.get().errorRate()) + " + "
                    + percent(thresholds.maxErrorRateIncrease());
        }
        String errors = "errors " + (candidate.requests() > 0 ? percent(candidate.errorRate()) : "n/a")
                + " (limit " + percent(errorLimit) + " = " + errorWhy + ")";

        OptionalDouble stableP99 = stable.map(RevisionSample::p99Seconds).orElse(OptionalDouble.empty());
        double p99Limit = Double.POSITIVE_INFINITY;
        String p99Why = null;
        if (stableP99.isPresent()) {
            double s = stableP99.getAsDouble();
            double tolerance = thresholds.p99Tolerance().toNanos() / 1e9;
            // fails only above both the ratio and the tolerance
            p99Limit = Math.max(s * thresholds.maxP99Ratio(), s + tolerance);
            p99Why = s * thresholds.maxP99Ratio() >= s + tolerance
                    ? trim(thresholds.maxP99Ratio()) + "x " + baselineLabel + "'s " + millis(s)
                    : baselineLabel + "'s " + millis(s) + " + " + millis(tolerance);
        }
        if (thresholds.maxP99().isPresent() && thresholds.maxP99().get().toNanos() / 1e9 < p99Limit) {
            p99Limit = thresholds.maxP99().get().toNanos() / 1e9;
            p99Why = "ceiling";
        }
        String p99 = "p99 " + (candidate.p99Seconds().isPresent() ? millis(candidate.p99Seconds().getAsDouble()) : "n/a")
                + (p99Why == null ? " (no limit without a baseline)" : " (limit " + millis(p99Limit) + " = " + p99Why + ")");
        return String.format(Locale.ROOT, "%s, %s, %.0f requests (judged from %d)", errors, p99,
                candidate.requests(), thresholds.minRequests());
    }

    static String describe(String label, RevisionSample s) {
        String p99 = s.p99Seconds().isPresent() ? millis(s.p99Seconds().getAsDouble()) : "n/a";
        return String.format(Locale.ROOT, "%s %s: %.0f requests, %s errors, p99 %s",
                label, s.revision(), s.requests(), percent(s.errorRate()), p99);
    }

    static String percent(double fraction) {
        return trim(fraction * 100) + "%";
    }

    static String millis(double seconds) {
        if (Double.isInfinite(seconds)) {
            return "+Inf";
        }
        double ms = seconds * 1000;
        return ms >= 100 ? String.format(Locale.ROOT, "%.0fms", ms) : trim(ms) + "ms";
    }

    private static String trim(double v) {
        String s = String.format(Locale.ROOT, "%.2f", v);
        s = s.replaceAll("0+$", "");
        return s.endsWith(".") ? s.substring(0, s.length() - 1) : s;
    }
}
