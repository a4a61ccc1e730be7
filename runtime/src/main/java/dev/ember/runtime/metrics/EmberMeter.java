package dev.ember.runtime.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;

import java.time.Duration;
import java.util.function.Supplier;
import java.util.function.ToDoubleFunction;

/**
 * The meter catalogue: every {@code ember_*} meter, declared once with its HELP text, its kind and, for
 * histograms, a short fixed set of buckets. Code registers meters only through these constants; a test holds the
 * catalogue, the README's metrics table and {@code /q/metrics} together.
 */
public enum EmberMeter {

    INVOCATIONS(Kind.COUNTER, "ember.invocations",
            "Invocations answered, by outcome: success, client_error, server_error, rejected, timeout"),
    INVOCATION_DURATION(Kind.TIMER, "ember.invocation.duration",
            "End-to-end invocation time, queue wait included, by outcome"),
    INVOCATION_PHASE(Kind.TIMER, "ember.invocation.phase",
            "Time an invocation spends in a phase: load (cold start), preprocess, postprocess"),
    QUEUE_WAIT(Kind.TIMER, "ember.queue.wait", "Time from enqueue to the start of the model run"),
    INFERENCE_DURATION(Kind.TIMER, "ember.inference.duration", "Time of one model run (one batch)"),
    BATCH_SIZE(Kind.SUMMARY, "ember.batch.size", "Rows per model run"),
    BATCH_PADDING(Kind.SUMMARY, "ember.batch.padding.ratio",
            "Share of a model run's sequence cells that are padding: padded cells / rows x longest sequence"),
    QUEUE_DEPTH(Kind.GAUGE, "ember.queue.depth", "Requests waiting in the version's queue"),
    REQUESTS_REJECTED(Kind.COUNTER, "ember.requests.rejected",
            "Requests refused before a run: queue_full, timeout (deadline passed while queued), circuit_open"),
    CIRCUIT_STATE(Kind.GAUGE, "ember.circuit.state", "Circuit breaker state: 0 closed, 1 half-open, 2 open"),
    CIRCUIT_TRANSITIONS(Kind.COUNTER, "ember.circuit.transitions", "Circuit breaker state changes"),
    MODEL_LOADS(Kind.COUNTER, "ember.model.loads",
            "Model version loads: success, failure, rejected (no room in the memory budget)"),
    MODEL_LOAD_DURATION(Kind.TIMER, "ember.model.load.duration",
            "Time to read, verify and create a session, by the device it runs on"),
    MODEL_UNLOADS(Kind.COUNTER, "ember.model.unloads", "Sessions closed: idle, evicted, explicit, shutdown"),
    MODEL_EVICTIONS(Kind.COUNTER, "ember.model.evictions",
            "Versions unloaded to make room under ember.pool.memory-budget"),
    POOL_LOADED_BYTES(Kind.GAUGE, "ember.pool.loaded.bytes",
            "Model bytes loading, warm or draining: what the memory budget limits"),
    POOL_BUDGET_BYTES(Kind.GAUGE, "ember.pool.budget.bytes", "ember.pool.memory-budget in bytes, when set"),
    IN_FLIGHT_BUDGET_BYTES(Kind.GAUGE, "ember.pool.in.flight.budget.bytes",
            "Bytes the requests in flight may hold together: ember.pool.in-flight-budget or its default"),
    IN_FLIGHT_BYTES(Kind.GAUGE, "ember.pool.in.flight.bytes",
            "Bytes reserved now by requests in flight, as estimated before they run"),
    COLD_STARTS(Kind.COUNTER, "ember.cold.starts", "Invocations that waited for (or started) their version's load"),
    MODELS_WARM(Kind.GAUGE, "ember.models.warm", "Model versions warm now (pinned ones after their warm-up)"),
    TRAFFIC_PERCENT(Kind.GAUGE, "ember.traffic.percent",
            "Share of unpinned traffic the version takes in the split in force"),
    DEVICE_FALLBACKS(Kind.COUNTER, "ember.device.fallbacks",
            "Sessions that wanted CUDA and run on CPU: no_cuda_provider, cuda_error, cuda_run_error"),
    GPU_MEMORY_USED(Kind.GAUGE, "ember.gpu.memory.used.bytes",
            "GPU memory in use, all processes, as nvidia-smi reports it; absent without a GPU"),
    GPU_MEMORY_TOTAL(Kind.GAUGE, "ember.gpu.memory.total.bytes", "GPU memory in all, as nvidia-smi reports it"),
    GPU_UTILIZATION(Kind.GAUGE, "ember.gpu.utilization.ratio",
            "Share of the last sample period in which a kernel ran on the GPU, 0 to 1 (nvidia-smi utilization.gpu)"),
    GENERATE_TIME_TO_FIRST_TOKEN(Kind.TIMER, "ember.generate.time.to.first.token",
            "Time from a generation's submission to its first token, queue wait and prompt pass included"),
    GENERATE_INTER_TOKEN_LATENCY(Kind.TIMER, "ember.generate.inter.token.latency",
            "Time between two tokens of one generation"),
    GENERATE_PROMPT_TOKENS(Kind.COUNTER, "ember.generate.prompt.tokens",
            "Prompt tokens run through a prompt pass (recomputations after a preemption not counted)"),
    GENERATE_COMPLETION_TOKENS(Kind.COUNTER, "ember.generate.completion.tokens", "Tokens generated"),
    GENERATE_RUNNING(Kind.GAUGE, "ember.generate.sequences.running",
            "Sequences in the version's decode batch or in their prompt pass"),
    GENERATE_WAITING(Kind.GAUGE, "ember.generate.sequences.waiting",
            "Sequences waiting for a slot or for KV cache room, preempted ones included"),
    GENERATE_STEP_SEQUENCES(Kind.SUMMARY, "ember.generate.step.sequences",
            "Sequences one decode step advanced"),
    GENERATE_PREEMPTIONS(Kind.COUNTER, "ember.generate.preemptions",
            "Sequences taken out of the batch to free KV cache room, to be recomputed later"),
    GENERATE_KV_CACHE_BYTES(Kind.GAUGE, "ember.generate.kv.cache.bytes",
            "KV cache bytes the version holds: rows x padded length x bytes per token"),
    GENERATE_KV_CACHE_BUDGET_BYTES(Kind.GAUGE, "ember.generate.kv.cache.budget.bytes",
            "KV cache bytes the version may hold: its own budget, capped by ember.pool.kv-cache-budget"),
    KV_CACHE_USED_BYTES(Kind.GAUGE, "ember.pool.kv.cache.bytes", "KV cache bytes all generator versions hold"),
    KV_CACHE_BUDGET_BYTES(Kind.GAUGE, "ember.pool.kv.cache.budget.bytes", "ember.pool.kv-cache-budget in bytes"),
    EVENTS_RECEIVED(Kind.COUNTER, "ember.events.received", "CloudEvents received, by type"),
    EVENTS_REPLIED(Kind.COUNTER, "ember.events.replied", "CloudEvents answered with a reply event"),
    EVENTS_REJECTED(Kind.COUNTER, "ember.events.rejected", "CloudEvents refused, by reason"),
    EVENT_PROCESSING(Kind.TIMER, "ember.event.processing", "Time from receiving an event to answering it");

    /** How a meter is exposed. */
    public enum Kind { COUNTER, GAUGE, TIMER, SUMMARY }

    // request-scale latencies: 15 buckets from 1 ms to 60 s instead of Micrometer's ~80 percentile buckets
    private static final Duration[] LATENCY = durations(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1,
            2.5, 5, 10, 30, 60);
    // loads read and compile models: 10 ms to 2 min
    private static final Duration[] LOADING = durations(0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120);
    private static final double[] ROWS = {1, 2, 4, 8, 16, 32, 64, 128};
    private static final double[] RATIO = {0.01, 0.05, 0.1, 0.25, 0.5, 0.75};

    public final Kind kind;
    /** The Micrometer name; Prometheus shows it with dots as underscores and the kind's suffix. */
    public final String name;
    public final String help;

    EmberMeter(Kind kind, String name, String help) {
        this.kind = kind;
        this.name = name;
        this.help = help;
    }

    /** The family name on {@code /q/metrics}: {@code _total} for counters, {@code _seconds} for timers. */
    public String prometheusName() {
        String base = name.replace('.', '_');
        return switch (kind) {
            case COUNTER -> base + "_total";
            case TIMER -> base + "_seconds";
            case SUMMARY -> this == BATCH_SIZE ? base + "_rows" : base;
            case GAUGE -> base;
        };
    }

    public Counter counter(MeterRegistry registry, String... tags) {
        require(Kind.COUNTER);
        return Counter.builder(name).description(help).tags(tags).register(registry);
    }

    public Timer timer(MeterRegistry registry, String... tags) {
        require(Kind.TIMER);
        return Timer.builder(name).description(help).tags(tags)
                .serviceLevelObjectives(this == MODEL_LOAD_DURATION ? LOADING : LATENCY).register(registry);
    }

    public DistributionSummary summary(MeterRegistry registry, String... tags) {
        require(Kind.SUMMARY);
        DistributionSummary.Builder builder = DistributionSummary.builder(name).description(help).tags(tags);
        if (this == BATCH_PADDING) {
            return builder.serviceLevelObjectives(RATIO).register(registry);
        }
        if (this == GENERATE_STEP_SEQUENCES) {
            return builder.serviceLevelObjectives(ROWS).register(registry);
        }
        return builder.baseUnit("rows").serviceLevelObjectives(ROWS).register(registry);
    }

    /** Registers a gauge that reads {@code value} of {@code state}; registering one again is a no-op. */
    public <T> void gauge(MeterRegistry registry, Tags tags, T state, ToDoubleFunction<T> value) {
        require(Kind.GAUGE);
        Gauge.builder(name, state, value).description(help).tags(tags).strongReference(true).register(registry);
    }

    public void gauge(MeterRegistry registry, Tags tags, Supplier<Number> value) {
        require(Kind.GAUGE);
        Gauge.builder(name, value).description(help).tags(tags).register(registry);
    }

    private void require(Kind expected) {
        if (kind != expected) {
            throw new IllegalStateException(name + " is a " + kind + ", not a " + expected);
        }
    }

    private static Duration[] durations(double... seconds) {
        Duration[] d = new Duration[seconds.length];
        for (int i = 0; i < seconds.length; i++) {
            d[i] = Duration.ofNanos(Math.round(seconds[i] * 1e9));
        }
        return d;
    }
}
