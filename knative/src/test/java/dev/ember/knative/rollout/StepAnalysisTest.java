package dev.ember.knative.rollout;

import dev.ember.knative.metrics.RevisionSample;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Optional;
import java.util.OptionalDouble;

import static dev.ember.knative.rollout.GateResult.Verdict.FAIL;
import static dev.ember.knative.rollout.GateResult.Verdict.INCONCLUSIVE;
import static dev.ember.knative.rollout.GateResult.Verdict.PASS;
import static org.assertj.core.api.Assertions.assertThat;

class StepAnalysisTest {

    private final StepAnalysis analysis = new StepAnalysis(AnalysisThresholds.DEFAULTS);

    @Test
    void aCandidateLikeStablePasses() {
        GateResult r = analysis.evaluate(sample("c", 1000, 2, 0.042), stable(10_000, 15, 0.040), "stable");
        assertThat(r.verdict()).isEqualTo(PASS);
        assertThat(r.summary()).isEqualTo("candidate c: 1000 requests, 0.2% errors, p99 42ms;"
                + " stable s: 10000 requests, 0.15% errors, p99 40ms");
    }

    @Test
    void tooFewCandidateRequestsAreInconclusiveNeverFailed() {
        // every one of its 10 requests failed, but 10 is below --min-requests 50: not judged
        GateResult r = analysis.evaluate(sample("c", 10, 10, 0.5), stable(10_000, 0, 0.040), "stable");
        assertThat(r.verdict()).isEqualTo(INCONCLUSIVE);
        assertThat(r.summary()).startsWith("candidate served 10 requests, fewer than the 50 needed to judge it");
        assertThat(analysis.evaluate(RevisionSample.none("c"), stable(10_000, 0, 0.04), "stable").verdict())
                .isEqualTo(INCONCLUSIVE);
    }

    @Test
    void theErrorRateFailsOnTheCeilingOrOnTheIncreaseOverStable() {
        assertThat(analysis.evaluate(sample("c", 1000, 20, 0.04), stable(10_000, 10, 0.04), "stable"))
                .satisfies(r -> assertThat(r.verdict()).isEqualTo(FAIL))
                .satisfies(r -> assertThat(r.summary()).startsWith("error rate 2% above the ceiling 1%"));
        // under the 1% ceiling, but 0.8 points above stable's 0.1% (more than 0.5 allowed)
        assertThat(analysis.evaluate(sample("c", 1000, 9, 0.04), stable(10_000, 10, 0.04), "stable").summary())
                .startsWith("error rate 0.9% exceeds stable's 0.1% by more than 0.5%");
        // 0.4 points above stable and under the ceiling: passes
        assertThat(analysis.evaluate(sample("c", 1000, 5, 0.04), stable(10_000, 10, 0.04), "stable").verdict())
                .isEqualTo(PASS);
    }

    @Test
    void p99FailsOnTheRatioOnlyBeyondTheTolerance() {
        assertThat(analysis.evaluate(sample("c", 1000, 0, 0.100), stable(10_000, 0, 0.040), "stable").summary())
                .startsWith("p99 100ms is more than 1.5x stable's 40ms");
        // 3x of a tiny p99, but only 4ms apart: histogram noise, not a regression
        assertThat(analysis.evaluate(sample("c", 1000, 0, 0.006), stable(10_000, 0, 0.002), "stable").verdict())
                .isEqualTo(PASS);
        StepAnalysis ceiling = new StepAnalysis(new AnalysisThresholds(0.01, 0.005, Optional.of(Duration.ofMillis(50)),
                1.5, Duration.ofMillis(10), 50, 3));
        assertThat(ceiling.evaluate(sample("c", 1000, 0, 0.060), Optional.empty(), "stable").summary())
                .startsWith("p99 60ms above the ceiling 50ms");
    }

    @Test
    void withoutABaselineOnlyTheAbsoluteLimitsApply() {
        GateResult r = analysis.evaluate(sample("c", 1000, 1, 5.0), Optional.of(RevisionSample.none("s")), "stable");
        assertThat(r.verdict()).isEqualTo(PASS);
        assertThat(r.summary()).endsWith("stable: no baseline (absolute limits only)");
        assertThat(analysis.evaluate(sample("c", 1000, 50, 0.04), Optional.empty(), "stable").verdict()).isEqualTo(FAIL);
    }

    @Test
    void requestsWithoutLatencyDataAreInconclusiveUnlessErrorsAlreadyFail() {
        RevisionSample noHistogram = new RevisionSample("c", 1000, 0, OptionalDouble.empty());
        assertThat(analysis.evaluate(noHistogram, stable(10_000, 0, 0.04), "stable").verdict()).isEqualTo(INCONCLUSIVE);
        RevisionSample failing = new RevisionSample("c", 1000, 500, OptionalDouble.empty());
        assertThat(analysis.evaluate(failing, stable(10_000, 0, 0.04), "stable").verdict()).isEqualTo(FAIL);
    }

    @Test
    void anInfiniteP99FailsAgainstAFiniteStable() {
        GateResult r = analysis.evaluate(sample("c", 1000, 0, Double.POSITIVE_INFINITY), stable(10_000, 0, 0.04), "stable");
        assertThat(r.verdict()).isEqualTo(FAIL);
        assertThat(r.summary()).startsWith("p99 +Inf is more than 1.5x");
    }

    @Test
    void theGatesLineHoldsTheLiveNumbersAgainstTheTighterLimit() {
        // stable's 0.1% + 0.5 points is tighter than the 1% ceiling; 1.5x stable's 40ms is above its +10ms tolerance
        assertThat(analysis.evaluate(sample("c", 1000, 2, 0.042), stable(10_000, 10, 0.040), "stable").gates())
                .isEqualTo("errors 0.2% (limit 0.6% = stable's 0.1% + 0.5%), p99 42ms (limit 60ms = 1.5x stable's 40ms),"
                        + " 1000 requests (judged from 50)");
        // a fast stable: the tolerance decides; a high one: the ceiling does
        assertThat(analysis.evaluate(sample("c", 1000, 0, 0.003), stable(10_000, 90, 0.002), "stable before this step")
                .gates()).isEqualTo("errors 0% (limit 1% = ceiling), p99 3ms (limit 12ms = stable before this step's 2ms"
                + " + 10ms), 1000 requests (judged from 50)");
        StepAnalysis ceiling = new StepAnalysis(new AnalysisThresholds(0.01, 0.005, Optional.of(Duration.ofMillis(50)),
                1.5, Duration.ofMillis(10), 50, 3));
        assertThat(ceiling.evaluate(sample("c", 1000, 0, 0.045), stable(10_000, 0, 0.040), "stable").gates())
                .contains("p99 45ms (limit 50ms = ceiling)");
        // without a baseline there is no relative p99 limit; with no requests, no numbers yet
        assertThat(analysis.evaluate(RevisionSample.none("c"), Optional.empty(), "stable").gates())
                .isEqualTo("errors n/a (limit 1% = ceiling), p99 n/a (no limit without a baseline),"
                        + " 0 requests (judged from 50)");
    }

    private static RevisionSample sample(String revision, double requests, double errors, double p99) {
        return new RevisionSample(revision, requests, errors, OptionalDouble.of(p99));
    }

    private static Optional<RevisionSample> stable(double requests, double errors, double p99) {
        return Optional.of(sample("s", requests, errors, p99));
    }
}
