package dev.ember.runtime.testing;

import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.function.Predicate;

/** An exporter that keeps the spans in memory, so that no test reaches a collector; a test blocks until they end. */
public class RecordedSpans implements SpanExporter {

    private final List<SpanData> exported = new ArrayList<>();

    @Override
    public synchronized CompletableResultCode export(Collection<SpanData> spans) {
        exported.addAll(spans);
        notifyAll();
        return CompletableResultCode.ofSuccess();
    }

    /** Every span exported so far. */
    public synchronized List<SpanData> all() {
        return List.copyOf(exported);
    }

    /** Waits for the exported spans to satisfy {@code done}; fails with what was exported after {@code limit}. */
    public synchronized List<SpanData> await(Predicate<List<SpanData>> done, Duration limit)
            throws InterruptedException {
        long deadline = System.nanoTime() + limit.toNanos();
        while (!done.test(exported)) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                throw new AssertionError("spans exported: " + exported);
            }
            wait(Math.max(1, left / 1_000_000));
        }
        return List.copyOf(exported);
    }

    @Override
    public CompletableResultCode flush() {
        return CompletableResultCode.ofSuccess();
    }

    @Override
    public CompletableResultCode shutdown() {
        return CompletableResultCode.ofSuccess();
    }
}
