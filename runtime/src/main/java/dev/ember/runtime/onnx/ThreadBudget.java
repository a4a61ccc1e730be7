package dev.ember.runtime.onnx;

import dev.ember.runtime.config.EmberConfig;

import java.util.OptionalInt;

/**
 * How many runs of one model version go at once and how many intra-op threads each gets. By default
 * {@code concurrency x intra-op threads <= CPUs}: measured on 2 cores, 2 runs x 1 thread gave 323 texts/s against
 * 245 for 1 x 2, so the default prefers runs to threads (up to {@value #MAX_DEFAULT_CONCURRENCY}, beyond which
 * fewer requests would share a batch and more runs' working memory would be live at once). Values a user sets are
 * honoured, with a warning when they exceed the CPUs.
 */
public record ThreadBudget(int cpus, int concurrency, int intraOpThreads, String reason) {

    static final int MAX_DEFAULT_CONCURRENCY = 4;

    /** The decision for one function from the CPUs this process may use (the JDK derives them from the cgroup quota). */
    public static ThreadBudget of(EmberConfig config, String function) {
        return of(Runtime.getRuntime().availableProcessors(), config.functions().get(function).concurrency(),
                config.onnx().intraOpThreads());
    }

    /** The decision for {@code cpus} and what the user set, a pure function so that it can be tested. */
    public static ThreadBudget of(int cpus, OptionalInt concurrency, OptionalInt intraOpThreads) {
        if (cpus < 1) {
            throw new IllegalArgumentException("CPUs must be at least 1");
        }
        if (concurrency.isPresent() && concurrency.getAsInt() < 1) {
            throw new IllegalArgumentException("concurrency must be at least 1");
        }
        if (intraOpThreads.isPresent() && intraOpThreads.getAsInt() < 1) {
            throw new IllegalArgumentException("ember.onnx.intra-op-threads must be at least 1");
        }
        int runs;
        String runsWhy;
        if (concurrency.isPresent()) {
            runs = concurrency.getAsInt();
            runsWhy = "concurrency set";
        } else if (intraOpThreads.isPresent()) {
            runs = Math.max(1, cpus / intraOpThreads.getAsInt());
            runsWhy = "concurrency not set: CPUs / intra-op threads";
        } else {
            runs = Math.min(cpus, MAX_DEFAULT_CONCURRENCY);
            runsWhy = "concurrency not set: min(CPUs, " + MAX_DEFAULT_CONCURRENCY + ")";
        }
        int threads;
        String threadsWhy;
        if (intraOpThreads.isPresent()) {
            threads = intraOpThreads.getAsInt();
            threadsWhy = "ember.onnx.intra-op-threads set";
        } else {
            threads = Math.max(1, cpus / runs);
            threadsWhy = "ember.onnx.intra-op-threads not set: CPUs / concurrency";
        }
        return new ThreadBudget(cpus, runs, threads, runsWhy + "; " + threadsWhy);
    }

    /**
     * The decision for a generator: its engine runs one model run at a time (a prompt chunk or a decode step of the
     * whole batch), so one run gets every CPU unless {@code ember.onnx.intra-op-threads} is set. Measured on 2 cores
     * with a GPT-2-small-shaped decoder: one stream 29.8 tokens/s on 2 intra-op threads against 23.4 on 1, 16
     * streams 112.1 against 84.3 (BENCHMARKS.md, Generation).
     */
    public static ThreadBudget ofGenerator(int cpus, OptionalInt intraOpThreads) {
        if (cpus < 1) {
            throw new IllegalArgumentException("CPUs must be at least 1");
        }
        if (intraOpThreads.isPresent() && intraOpThreads.getAsInt() < 1) {
            throw new IllegalArgumentException("ember.onnx.intra-op-threads must be at least 1");
        }
        return intraOpThreads.isPresent()
                ? new ThreadBudget(cpus, 1, intraOpThreads.getAsInt(),
                        "a generator runs one step at a time; ember.onnx.intra-op-threads set")
                : new ThreadBudget(cpus, 1, cpus, "a generator runs one step at a time: every CPU to its run");
    }

    /** Whether the runs may use more compute threads than there are CPUs. */
    public boolean exceeded() {
        return (long) concurrency * intraOpThreads > cpus;
    }

    /** The log line: the numbers and why. */
    public String describe() {
        return cpus + " CPUs (Runtime.availableProcessors, cgroup quota) -> concurrency " + concurrency
                + " x intra-op " + intraOpThreads + " = " + (long) concurrency * intraOpThreads
                + " compute threads (" + reason + ")" + (exceeded() ? ": more than the CPUs, so runs compete for cores"
                        : "");
    }
}
