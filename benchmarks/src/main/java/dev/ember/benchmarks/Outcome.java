package dev.ember.benchmarks;

/**
 * How one request ended: its HTTP status, and an optional label (e.g. "hit" or "miss") under which its latency is
 * also recorded separately.
 */
public record Outcome(int status, String label) {

    public static Outcome of(int status) {
        return new Outcome(status, null);
    }

    public boolean succeeded() {
        return status >= 200 && status < 300;
    }
}
