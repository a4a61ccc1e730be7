package dev.ember.runtime.batch;

import java.time.Duration;

/** How one model version's requests are queued and grouped. */
public record BatchSettings(int maxSize, Duration maxDelay, int queueSize, int concurrency,
        boolean batchDynamicallyQuantized) {

    public BatchSettings {
        if (maxSize < 1 || queueSize < 1 || concurrency < 1) {
            throw new IllegalArgumentException("batch.max-size, queue.max-size and concurrency must be at least 1");
        }
    }
}
