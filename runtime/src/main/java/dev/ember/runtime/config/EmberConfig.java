package dev.ember.runtime.config;

import io.quarkus.runtime.configuration.MemorySize;
import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import io.smallrye.config.WithDefaults;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;

/** Everything Ember reads from configuration, under {@code ember.}. */
@ConfigMapping(prefix = "ember")
public interface EmberConfig {

    /** Where models run: auto (CUDA when usable, else CPU with a warning), cpu, cuda or cuda:N. */
    @WithDefault("auto")
    String device();

    Onnx onnx();

    Repository repository();

    Pool pool();

    Management management();

    Limits limits();

    Host host();

    /** Per-function settings by function name; a repository model without Java code uses the defaults. */
    @WithDefaults
    Map<String, Function> functions();

    interface Onnx {
        /**
         * Threads one operator may use; default: the CPUs this process may use (cgroup-aware) divided by the
         * function's concurrency, so that concurrency x intra-op threads stays within the CPUs.
         */
        OptionalInt intraOpThreads();

        /**
         * Whether ONNX Runtime's idle pool threads spin waiting for the next work item (its own default is true);
         * off, they sleep, leaving the cores to the other runs, tokenising and HTTP.
         */
        @WithDefault("false")
        boolean allowSpinning();

        /** Threads running independent operators at once; 1 runs the graph sequentially. */
        @WithDefault("1")
        int interOpThreads();

        /** Graph optimisation level: none, basic, extended or all. */
        @WithDefault("all")
        String optimizationLevel();

        /** Lowest level ONNX Runtime's own stderr logger prints: verbose, info, warning, error or fatal (Ember reports failures itself). */
        @WithDefault("fatal")
        String logLevel();
    }

    interface Repository {
        /** Root of the directory repository, laid out as {@code <root>/<model>/<version>/model.onnx}. */
        Optional<Path> path();
    }

    interface Pool {
        /**
         * Bytes of model files kept loaded; beyond it the least recently used idle model is unloaded. Unset: half of what
         * the cgroup memory limit leaves beside the heap, or no limit when the process has no cgroup limit.
         */
        Optional<MemorySize> memoryBudget();

        /**
         * Bytes the requests in flight may hold together (decoded inputs, outputs, model intermediates, responses, as
         * estimated); beyond it a request waits or gets 503, one that alone exceeds it gets 413. Default: half the
         * heap less {@code memory-budget} when set, at least an eighth of the heap.
         */
        Optional<MemorySize> inFlightBudget();

        /** Longest a request waits for room in the in-flight budget (at most half its time left) before it gets 503. */
        @WithDefault("10s")
        Duration inFlightMaxWait();

        /** Bytes of KV cache all generator versions may hold together; beyond it sequences wait, or the newest is preempted. */
        @WithDefault("1G")
        MemorySize kvCacheBudget();

        /** Threads creating sessions, so a slow load never blocks requests to models already warm. */
        @WithDefault("2")
        int loadThreads();
    }

    interface Host {
        /** Root under which the host's facts are read ({@code proc/self/cgroup}, {@code sys/...}); tests use a fake tree. */
        @WithDefault("/")
        Path root();
    }

    interface Management {
        /** Bearer token for the management write endpoints; they are off while it is unset. */
        Optional<String> token();
    }

    interface Limits {
        /** Elements one request tensor may declare; larger shapes are refused before anything is allocated. */
        @WithDefault("16777216")
        long maxTensorElements();

        /** Elements one model output may have; a run whose output is larger is refused (413) before it is copied. */
        @WithDefault("16777216")
        long maxOutputElements();

        /** Deepest JSON nesting accepted in a request body. */
        @WithDefault("32")
        int maxJsonDepth();

        /** Longest JSON string (characters) accepted in a request body. */
        @WithDefault("1048576")
        int maxStringLength();

        /** Texts one embeddings request may carry. */
        @WithDefault("2048")
        int maxEmbeddingInputs();

        /**
         * Bytes of request headers accepted (431 with a JSON error beyond); HTTP's own decoder limit,
         * {@code quarkus.http.limits.max-header-size}, must be larger, or it answers first with an empty body.
         */
        @WithDefault("16384")
        int maxHeaderBytes();

        /**
         * Characters of the request line accepted (414 with a JSON error beyond); below
         * {@code quarkus.http.limits.max-initial-line-length} for the same reason.
         */
        @WithDefault("4096")
        int maxRequestLineLength();
    }

    interface Function {
        /** Model of version 1: {@code classpath:<resource>} or a file path. */
        Optional<String> model();

        /** Versions by number (1, 2, ...). */
        Map<String, Version> versions();

        /** Load and warm up at start, never unload; readiness waits for it. */
        @WithDefault("false")
        boolean minWarm();

        /**
         * Load and warm up the version with the largest traffic share at start, overlapped with start-up; readiness
         * waits for it once. Unlike min-warm, it may be unloaded later (idle timeout, budget, management API).
         */
        @WithDefault("false")
        boolean warmAtStart();

        /** Unload a version after this long without requests; 0 = never. */
        @WithDefault("0s")
        Duration idleTimeout();

        Batch batch();

        Queue queue();

        /** Longest one invocation may take, queue wait included, before it is answered 504. */
        @WithDefault("30s")
        Duration timeout();

        /**
         * Batches of one version running at once; default: min(CPUs, 4), or CPUs / {@code onnx.intra-op-threads} when
         * that is set, so that runs x intra-op threads stay within the CPUs.
         */
        OptionalInt concurrency();

        CircuitBreaker circuitBreaker();

        /** How a generator version schedules its sequences; ignored for other models. */
        Generate generate();
    }

    interface Generate {
        /** Sequences a version advances together in one decode step; more wait for a slot. */
        @WithDefault("16")
        int maxRunning();

        /** Sequences that may wait for a slot or for cache room; beyond it a request gets 503 + Retry-After. */
        @WithDefault("64")
        int maxWaiting();

        /** Prompt tokens run in one pass between decode steps, so a long prompt stalls the running streams at most one pass. */
        @WithDefault("256")
        int prefillChunk();

        /** Bytes of KV cache this version may hold; unset: the process-wide {@code ember.pool.kv-cache-budget} alone limits it. */
        Optional<MemorySize> kvCacheBudget();
    }

    interface CircuitBreaker {
        /** Share of failed invocations (500 or 504; client errors and 503s count as successes) that opens a version's circuit. */
        @WithDefault("0.5")
        double failureRatio();

        /** The last invocations of a version the failure ratio is taken over; fewer never open it. */
        @WithDefault("20")
        int requestVolumeThreshold();

        /** How long an open circuit answers 503 at once before it lets probe invocations through. */
        @WithDefault("5s")
        Duration delay();

        /** Successful probes in a row that close the circuit; a failed probe opens it for another delay. */
        @WithDefault("1")
        int successThreshold();
    }

    interface Version {
        /** Model of this version: {@code classpath:<resource>} or a file path. */
        Optional<String> model();

        /** Expected SHA-256 of the model file (hex); a mismatch fails the version before a session is created. */
        Optional<String> sha256();

        /** Share of unpinned traffic, 0-100; all versions of a function sum to 100. */
        OptionalInt percent();

        /** Tag the {@code Ember-Tag} header selects. */
        Optional<String> tag();
    }

    interface Batch {
        /** Most requests' rows in one model run; 1 disables batching. */
        @WithDefault("1")
        int maxSize();

        /**
         * Longest a request may wait for its batch to fill when a run slot is free; unset, it never waits: a request
         * that finds a free slot runs at once, and requests that arrive while runs are in flight form the next batch.
         */
        Optional<Duration> maxDelay();

        /** Most tokens in one model run: rows x the longest sequence (dimension 1 of the padded inputs) of the batch. */
        @WithDefault("4096")
        long maxTokens();

        /** Largest share of padded cells in one run (0-1): requests of too different lengths go to different runs. */
        @WithDefault("0.25")
        double maxPadding();

        /**
         * Batch models that quantise activations at run time (DynamicQuantizeLinear): their results then depend on
         * the rest of the batch, so they run unbatched unless this is true.
         */
        @WithDefault("false")
        boolean dynamicallyQuantized();
    }

    interface Queue {
        /** Requests waiting beyond this are answered 503 with Retry-After. */
        @WithDefault("256")
        int maxSize();
    }
}
