package dev.ember.knative.rollout;

/**
 * The judgement of one analysis of a step, with the numbers behind it in words.
 *
 * @param summary what decided the verdict, with the numbers of candidate and baseline
 * @param gates   the candidate's live numbers against the limits they are judged by (printed while a step is held)
 */
public record GateResult(Verdict verdict, String summary, String gates) {

    /** A result with no numbers to hold against the gates (metrics unavailable). */
    public GateResult(Verdict verdict, String summary) {
        this(verdict, summary, summary);
    }

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
