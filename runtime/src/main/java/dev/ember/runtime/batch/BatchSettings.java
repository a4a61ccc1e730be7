package dev.ember.runtime.batch;

import java.time.Duration;
import java.util.Optional;

/**
 * How one model version's requests are queued and grouped: at most {@code maxSize} rows and {@code maxTokens}
 * (rows x the batch's longest sequence) per run, at most {@code maxPadding} of a run's cells padding; with
 * {@code maxDelay} set, a free worker waits up to that long after the oldest request's arrival for a fuller batch.
 */
public record BatchSettings(int maxSize, Optional<Duration> maxDelay, long maxTokens, double maxPadding,
        int queueSize, int concurrency, boolean batchDynamicallyQuantized) {

    public BatchSettings {
        if (maxSize < 1 || queueSize < 1 || concurrency < 1) {
            throw new IllegalArgumentException("batch.max-size, queue.max-size and concurrency must be at least 1");
        }
        if (maxTokens < 1) {
            throw new IllegalArgumentException("batch.max-tokens must be at least 1");
        }
        if (!(maxPadding >= 0 && maxPadding <= 1)) {
            throw new IllegalArgumentException("batch.max-padding must be between 0 and 1");
        }
        if (maxDelay.isPresent() && maxDelay.get().isNegative()) {
            throw new IllegalArgumentException("batch.max-delay must not be negative");
        }
    }
}
