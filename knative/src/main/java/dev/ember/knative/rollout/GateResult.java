package dev.ember.knative.rollout;

/** The judgement of one analysis of a step, with the numbers behind it in words. */
public record GateResult(Verdict verdict, String summary) {

    public enum Verdict {
        /** The candidate met every threshold with enough requests to tell. */
        PASS,
        /** The candidate broke a threshold: roll back. */
        FAIL,
        /** Not enough data to judge (too few candidate requests, no latency data, Prometheus unavailable). */
        INCONCLUSIVE
    }

    public boolean failed() {
        return verdict == Verdict.FAIL;
    }
}
