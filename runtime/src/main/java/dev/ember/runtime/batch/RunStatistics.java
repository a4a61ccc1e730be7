package dev.ember.runtime.batch;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * The successful model runs of one version by batch size (rows per run), with their cumulative time, and when the
 * last one ended: what Triton's statistics extension reports per batch size, which the batch-size histogram of
 * {@code /q/metrics} cannot give exactly.
 */
public final class RunStatistics {

    /** Runs of one batch size and their total time. */
    public record Runs(long count, long nanos) {
    }

    private static final class Totals {
        final LongAdder count = new LongAdder();
        final LongAdder nanos = new LongAdder();
    }

    private final ConcurrentMap<Long, Totals> bySize = new ConcurrentHashMap<>();
    private volatile long lastRunMillis;

    void record(long rows, long nanos) {
        Totals t = bySize.computeIfAbsent(rows, r -> new Totals());
        t.count.increment();
        t.nanos.add(nanos);
        lastRunMillis = System.currentTimeMillis();
    }

    /** Runs by batch size, smallest first. */
    public Map<Long, Runs> bySize() {
        Map<Long, Runs> out = new TreeMap<>();
        bySize.forEach((rows, t) -> out.put(rows, new Runs(t.count.sum(), t.nanos.sum())));
        return out;
    }

    /** When the last successful run ended, in milliseconds since the epoch; 0 before the first. */
    public long lastRunMillis() {
        return lastRunMillis;
    }
}
