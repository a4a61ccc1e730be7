package dev.ember.benchmarks;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/**
 * A small set of measured values (tens to thousands: times to first token, token gaps) kept exactly, with
 * nearest-rank percentiles: the p-th percentile is the smallest value that at least p% of the values do not exceed,
 * so p99 of 16 values is their maximum, and no value is ever interpolated.
 */
final class Samples {

    private final double[] sorted;

    Samples(Collection<? extends Number> values) {
        this.sorted = values.stream().mapToDouble(Number::doubleValue).sorted().toArray();
    }

    static Samples of(double... values) {
        List<Double> list = new ArrayList<>(values.length);
        for (double v : values) {
            list.add(v);
        }
        return new Samples(list);
    }

    int count() {
        return sorted.length;
    }

    /** Nearest rank: the value at rank ceil(p/100 * n); NaN when there are no values. */
    double percentile(double p) {
        if (p <= 0 || p > 100) {
            throw new IllegalArgumentException("a percentile is in (0, 100], not " + p);
        }
        if (sorted.length == 0) {
            return Double.NaN;
        }
        int rank = (int) Math.ceil(p / 100 * sorted.length);
        return sorted[Math.max(rank, 1) - 1];
    }

    /** The middle value, or the mean of the two middle ones; NaN when there are none. */
    double median() {
        int n = sorted.length;
        if (n == 0) {
            return Double.NaN;
        }
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }

    double mean() {
        if (sorted.length == 0) {
            return Double.NaN;
        }
        double sum = 0;
        for (double v : sorted) {
            sum += v;
        }
        return sum / sorted.length;
    }

    double max() {
        return sorted.length == 0 ? Double.NaN : sorted[sorted.length - 1];
    }
}
