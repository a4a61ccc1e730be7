package dev.ember.knative.metrics;

import java.time.Duration;

/**
 * A range of time that ends {@code offset} before the evaluation time and lasts {@code length}:
 * {@code [length] offset offset} in PromQL. Prometheus ranges are whole seconds, at least one.
 */
public record SampleWindow(Duration length, Duration offset) {

    public SampleWindow {
        if (length.isNegative() || length.isZero()) {
            throw new IllegalArgumentException("window length must be positive, was " + length);
        }
        if (offset.isNegative()) {
            throw new IllegalArgumentException("window offset must not be negative, was " + offset);
        }
    }

    public static SampleWindow last(Duration length) {
        return new SampleWindow(length, Duration.ZERO);
    }

    /** The PromQL range selector suffix, e.g. {@code [120s]} or {@code [120s] offset 95s}. */
    public String promqlRange() {
        String range = "[" + Math.max(1, length.toSeconds()) + "s]";
        long offsetSeconds = offset.toSeconds();
        return offsetSeconds > 0 ? range + " offset " + offsetSeconds + "s" : range;
    }
}
