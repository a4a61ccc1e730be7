package dev.ember.benchmarks;

import org.HdrHistogram.Histogram;

import java.util.Collections;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

/**
 * What one load run measured. Latencies are of successful (2xx) responses only; every request sent is counted
 * exactly once: by its HTTP status, as a transport error, or as unfinished when the run ended before its answer.
 * Requests an open loop skipped because too many were in flight are counted as not sent.
 */
public final class LoadResult {

    private final Histogram latencies;
    private final Map<String, Histogram> byLabel;
    private final SortedMap<Integer, Long> statuses;
    private final long errors;
    private final long notSent;
    private final long unfinished;
    private final long elapsedNanos;

    LoadResult(Histogram latencies, Map<String, Histogram> byLabel, SortedMap<Integer, Long> statuses, long errors,
            long notSent, long unfinished, long elapsedNanos) {
        this.latencies = latencies;
        this.byLabel = byLabel;
        this.statuses = statuses;
        this.errors = errors;
        this.notSent = notSent;
        this.unfinished = unfinished;
        this.elapsedNanos = elapsedNanos;
    }

    /** Requests that went out: answered with any status, failed in transport, or still unanswered at the end. */
    public long sent() {
        return statuses.values().stream().mapToLong(Long::longValue).sum() + errors + unfinished;
    }

    public long succeeded() {
        return latencies.getTotalCount();
    }

    /** Answers by HTTP status. */
    public SortedMap<Integer, Long> statuses() {
        return Collections.unmodifiableSortedMap(statuses);
    }

    /** Requests that failed without an HTTP answer (connection refused or reset, client timeout). */
    public long errors() {
        return errors;
    }

    public long notSent() {
        return notSent;
    }

    public long unfinished() {
        return unfinished;
    }

    public double elapsedSeconds() {
        return elapsedNanos / 1e9;
    }

    /** Successful responses per second of the run. */
    public double throughput() {
        return elapsedNanos <= 0 ? 0 : succeeded() / elapsedSeconds();
    }

    public double percentileMillis(double percentile) {
        return millis(latencies, percentile);
    }

    public double maxMillis() {
        return latencies.getTotalCount() == 0 ? Double.NaN : latencies.getMaxValue() / 1e6;
    }

    public double meanMillis() {
        return latencies.getTotalCount() == 0 ? Double.NaN : latencies.getMean() / 1e6;
    }

    /** Successful responses recorded under {@code label}. */
    public long count(String label) {
        Histogram h = byLabel.get(label);
        return h == null ? 0 : h.getTotalCount();
    }

    public double percentileMillis(String label, double percentile) {
        Histogram h = byLabel.get(label);
        return h == null ? Double.NaN : millis(h, percentile);
    }

    /** One line for logs and notes: "1000 sent: 990 x 200, 10 x 503; 0 transport errors". */
    public String statusLine() {
        StringBuilder sb = new StringBuilder().append(sent()).append(" sent: ");
        if (statuses.isEmpty()) {
            sb.append("no answers");
        }
        String sep = "";
        for (Map.Entry<Integer, Long> e : statuses.entrySet()) {
            sb.append(sep).append(e.getValue()).append(" x ").append(e.getKey());
            sep = ", ";
        }
        sb.append("; ").append(errors).append(" transport errors");
        if (unfinished > 0) {
            sb.append(", ").append(unfinished).append(" unfinished");
        }
        if (notSent > 0) {
            sb.append("; ").append(notSent).append(" not sent (too many in flight)");
        }
        return sb.toString();
    }

    private static double millis(Histogram h, double percentile) {
        return h.getTotalCount() == 0 ? Double.NaN : h.getValueAtPercentile(percentile) / 1e6;
    }

    /** The mutable side, shared by the threads of one run; every method is atomic. */
    static final class Tally {
        // an hour in nanoseconds at 3 significant digits: far beyond any request's timeout
        private static final long HIGHEST = TimeUnit.HOURS.toNanos(1);

        private final Histogram latencies = histogram();
        private final Map<String, Histogram> byLabel = new TreeMap<>();
        private final SortedMap<Integer, Long> statuses = new TreeMap<>();
        private long sent;
        private long errors;
        private long notSent;
        private boolean closed;

        private static Histogram histogram() {
            return new Histogram(HIGHEST, 3);
        }

        synchronized void sent() {
            if (!closed) {
                sent++;
            }
        }

        synchronized void answered(Outcome outcome, long latencyNanos) {
            if (closed) {
                return; // it arrived after the run ended: counted as unfinished
            }
            statuses.merge(outcome.status(), 1L, Long::sum);
            if (outcome.succeeded()) {
                long value = Math.min(Math.max(latencyNanos, 0), HIGHEST);
                latencies.recordValue(value);
                if (outcome.label() != null) {
                    byLabel.computeIfAbsent(outcome.label(), l -> histogram()).recordValue(value);
                }
            }
        }

        synchronized void failed() {
            if (!closed) {
                errors++;
            }
        }

        synchronized void notSent() {
            if (!closed) {
                notSent++;
            }
        }

        /** Ends the run: later answers are ignored, and whatever was sent but not answered is unfinished. */
        synchronized LoadResult close(long elapsedNanos) {
            closed = true;
            long answered = statuses.values().stream().mapToLong(Long::longValue).sum() + errors;
            Map<String, Histogram> labels = new TreeMap<>();
            byLabel.forEach((label, h) -> labels.put(label, h.copy()));
            return new LoadResult(latencies.copy(), labels, new TreeMap<>(statuses), errors, notSent,
                    sent - answered, elapsedNanos);
        }
    }
}
