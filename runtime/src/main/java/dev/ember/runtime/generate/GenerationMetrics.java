package dev.ember.runtime.generate;

import dev.ember.runtime.api.ModelId;
import dev.ember.runtime.metrics.EmberMeter;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The generation meters of one version, one instance per version for the life of the process (gauges read its
 * counts, so an engine made after a reload counts into the same ones).
 */
public final class GenerationMetrics {

    private final Timer ttft;
    private final Timer interToken;
    private final Counter promptTokens;
    private final Counter completionTokens;
    private final DistributionSummary stepSequences;
    private final Counter preemptions;
    private final Counter queueFull;
    private final Counter timedOut;
    final AtomicInteger running = new AtomicInteger();
    final AtomicInteger waiting = new AtomicInteger();

    public GenerationMetrics(MeterRegistry registry, ModelId id) {
        String function = id.model();
        String version = String.valueOf(id.version());
        Tags tags = Tags.of("function", function, "version", version);
        ttft = EmberMeter.GENERATE_TIME_TO_FIRST_TOKEN.timer(registry, "function", function, "version", version);
        interToken = EmberMeter.GENERATE_INTER_TOKEN_LATENCY.timer(registry, "function", function, "version", version);
        promptTokens = EmberMeter.GENERATE_PROMPT_TOKENS.counter(registry, "function", function, "version", version);
        completionTokens = EmberMeter.GENERATE_COMPLETION_TOKENS.counter(registry, "function", function, "version",
                version);
        stepSequences = EmberMeter.GENERATE_STEP_SEQUENCES.summary(registry, "function", function, "version", version);
        preemptions = EmberMeter.GENERATE_PREEMPTIONS.counter(registry, "function", function, "version", version);
        queueFull = EmberMeter.REQUESTS_REJECTED.counter(registry, "function", function, "version", version,
                "reason", "queue_full");
        timedOut = EmberMeter.REQUESTS_REJECTED.counter(registry, "function", function, "version", version,
                "reason", "timeout");
        EmberMeter.GENERATE_RUNNING.gauge(registry, tags, running, AtomicInteger::get);
        EmberMeter.GENERATE_WAITING.gauge(registry, tags, waiting, AtomicInteger::get);
    }

    void firstToken(long nanos) {
        ttft.record(nanos, TimeUnit.NANOSECONDS);
    }

    void interToken(long nanos) {
        interToken.record(nanos, TimeUnit.NANOSECONDS);
    }

    void prompt(int tokens) {
        promptTokens.increment(tokens);
    }

    void completion() {
        completionTokens.increment();
    }

    void step(int sequences) {
        stepSequences.record(sequences);
    }

    void preempted() {
        preemptions.increment();
    }

    void queueFull() {
        queueFull.increment();
    }

    void timedOut() {
        timedOut.increment();
    }

    /** Sequences running now (in the batch or their prompt pass). */
    public int running() {
        return running.get();
    }

    /** Sequences waiting now. */
    public int waiting() {
        return waiting.get();
    }
}
