package dev.ember.runtime.batch;

import dev.ember.runtime.api.EmberException;
import dev.ember.runtime.api.InferenceFailedException;
import dev.ember.runtime.api.QueueTimeoutException;
import dev.ember.runtime.api.ModelCall;
import dev.ember.runtime.api.ModelId;
import dev.ember.runtime.api.Tensor;
import dev.ember.runtime.api.UnavailableException;
import dev.ember.runtime.metrics.EmberMeter;
import dev.ember.runtime.onnx.LoadedModel;
import dev.ember.runtime.tracing.Tracing;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import org.jboss.logging.Logger;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.IdentityHashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The queue of one model version: bounded (a full queue answers 503 at once), drained by up to {@code concurrency}
 * workers. It never waits when idle: a request that finds a free run slot runs at once, and the requests that arrive
 * while runs are in flight form the next batch (unless {@code maxDelay} is set: then a free worker waits up to that
 * long after the oldest request's arrival for a fuller batch). A batch is built around the oldest waiting request,
 * so none starves, from the compatible requests of the most similar lengths, within {@code maxSize} rows,
 * {@code maxTokens} (rows x longest sequence) and a padded share of at most {@code maxPadding}. A request whose
 * deadline passes while queued is answered 504 and never run.
 */
public final class DynamicBatcher {

    private static final Logger LOG = Logger.getLogger(DynamicBatcher.class);

    private final ModelId id;
    private final BatchSettings settings;
    private final Executor workers;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition arrived = lock.newCondition();
    private final ArrayDeque<Pending> queue = new ArrayDeque<>();
    private final AtomicInteger running = new AtomicInteger();
    private final AtomicBoolean unbatchedLogged = new AtomicBoolean();
    // moving average of a run's duration, 0 until the first run
    private volatile long runNanos;
    private final Counter rejectedFull;
    private final Counter rejectedTimeout;
    private final Timer queueWait;
    private final Timer inference;
    private final DistributionSummary batchRows;
    private final DistributionSummary batchPadding;
    // the most queued requests one batch is chosen from, so that a long queue never holds the lock long
    private final int window;
    private final RunStatistics runs = new RunStatistics();
    private final Tracing tracing;

    /** A request waiting for a model run; {@code length} is its sequence length (see {@link Collation#length}). */
    private record Pending(LoadedModel model, ModelCall<?> call, Map<String, Number> pads, long rows, long length,
            long enqueued, long deadline, CompletableFuture<Map<String, Tensor>> result, Tracing.Parent parent) {

        /** The length a batch pads this request to at least: 1 for requests without a padded input. */
        long cells() {
            return Math.max(1, length);
        }
    }

    /** A chosen batch: its requests (the oldest first), rows, longest sequence and the cells that are not padding. */
    private record Batch(List<Pending> requests, long rows, long longest, long realCells) {

        double paddingRatio() {
            return 1.0 - (double) realCells / ((double) rows * longest);
        }
    }

    DynamicBatcher(ModelId id, BatchSettings settings, Executor workers, MeterRegistry registry) {
        this(id, settings, workers, registry, Tracing.OFF);
    }

    DynamicBatcher(ModelId id, BatchSettings settings, Executor workers, MeterRegistry registry, Tracing tracing) {
        this.id = id;
        this.tracing = tracing;
        this.settings = settings;
        this.workers = workers;
        String version = String.valueOf(id.version());
        EmberMeter.QUEUE_DEPTH.gauge(registry, Tags.of("function", id.model(), "version", version), this,
                DynamicBatcher::size);
        this.rejectedFull = EmberMeter.REQUESTS_REJECTED.counter(registry, "function", id.model(), "version", version,
                "reason", "queue_full");
        this.rejectedTimeout = EmberMeter.REQUESTS_REJECTED.counter(registry, "function", id.model(), "version",
                version, "reason", "timeout");
        this.queueWait = EmberMeter.QUEUE_WAIT.timer(registry, "function", id.model(), "version", version);
        this.inference = EmberMeter.INFERENCE_DURATION.timer(registry, "function", id.model(), "version", version);
        this.batchRows = EmberMeter.BATCH_SIZE.summary(registry, "function", id.model(), "version", version);
        this.batchPadding = EmberMeter.BATCH_PADDING.summary(registry, "function", id.model(), "version", version);
        this.window = Math.max(64, 8 * settings.maxSize());
    }

    /** The version's successful runs by batch size (the v2 statistics extension). */
    public RunStatistics runs() {
        return runs;
    }

    public int size() {
        lock.lock();
        try {
            return queue.size();
        } finally {
            lock.unlock();
        }
    }

    /**
     * Queues one prepared call; the future completes with this call's rows of the outputs, or exceptionally with
     * {@link UnavailableException} (queue full), {@link InvocationTimeoutException} or {@link InferenceFailedException}.
     */
    public CompletableFuture<Map<String, Tensor>> submit(LoadedModel model, ModelCall<?> call,
            Map<String, Number> pads, long deadlineNanos) {
        return submit(model, call, pads, deadlineNanos, tracing.current());
    }

    /**
     * As {@link #submit(LoadedModel, ModelCall, Map, long)}, its {@code ember.queue} and {@code ember.run} spans
     * children of {@code parent}: the caller's trace context, captured on its request thread.
     */
    public CompletableFuture<Map<String, Tensor>> submit(LoadedModel model, ModelCall<?> call,
            Map<String, Number> pads, long deadlineNanos, Tracing.Parent parent) {
        CompletableFuture<Map<String, Tensor>> result = new CompletableFuture<>();
        lock.lock();
        try {
            try {
                refuseIfFull(deadlineNanos);
            } catch (UnavailableException e) {
                result.completeExceptionally(e);
                return result;
            }
            queue.addLast(new Pending(model, call, pads, call.rows(), Collation.length(call.inputs(), pads),
                    System.nanoTime(), deadlineNanos, result, parent));
            arrived.signalAll();
        } finally {
            lock.unlock();
        }
        startWorker();
        return result;
    }

    /**
     * Refuses a request at once when the queue is already full, or when the runs queued ahead of it would not let
     * it finish before its deadline, before its inputs are prepared: under overload a rejection costs no decoding
     * or tokenising, and a request that would only time out in the queue is shed as 503 instead of a 504.
     * {@link #submit} checks again, as the queue may fill in between.
     */
    public void requireRoom(long deadlineNanos) {
        lock.lock();
        try {
            refuseIfFull(deadlineNanos);
        } finally {
            lock.unlock();
        }
    }

    /** Under the lock: throws when the queue has no room for a request due by {@code deadlineNanos}. */
    private void refuseIfFull(long deadlineNanos) {
        int queued = queue.size();
        if (queued >= settings.queueSize()) {
            // requests past their deadline hold no real place: answer them now and count again
            queue.removeIf(this::expired);
            queued = queue.size();
        }
        if (queued >= settings.queueSize()) {
            rejectedFull.increment();
            throw full();
        }
        long perRun = runNanos;
        if (queued == 0 || perRun == 0) {
            return; // nothing ahead, or no run measured yet: it gets its chance
        }
        long runsAhead = settings.maxSize() > 1 ? (queued + settings.maxSize() - 1) / settings.maxSize() : queued;
        long expected = ((runsAhead + settings.concurrency() - 1) / settings.concurrency() + 1) * perRun;
        if (System.nanoTime() + expected - deadlineNanos > 0) {
            rejectedFull.increment();
            throw new UnavailableException("the queue of " + id + " is too long for this request to finish within"
                    + " its timeout (" + queued + " waiting, about " + expected / 1_000_000 + " ms)",
                    Duration.ofSeconds(1));
        }
    }

    /** Records how long a run took: a moving average over the last runs that the queue-time estimate uses. */
    void recordRun(long nanos) {
        long previous = runNanos;
        runNanos = previous == 0 ? nanos : previous - previous / 8 + nanos / 8;
    }

    /** Whether the request of this future is still waiting in the queue (its run has not started). */
    public boolean waiting(CompletableFuture<?> result) {
        lock.lock();
        try {
            return queue.stream().anyMatch(p -> p.result() == result);
        } finally {
            lock.unlock();
        }
    }

    private UnavailableException full() {
        return new UnavailableException("the queue of " + id + " is full (" + settings.queueSize() + " waiting)",
                Duration.ofSeconds(1));
    }

    private void startWorker() {
        while (true) {
            int r = running.get();
            if (r >= settings.concurrency() || size() == 0) {
                return;
            }
            if (running.compareAndSet(r, r + 1)) {
                try {
                    workers.execute(this::drain);
                } catch (RuntimeException e) {
                    running.decrementAndGet();
                    throw e;
                }
                return;
            }
        }
    }

    private void drain() {
        try {
            Batch batch;
            while ((batch = nextBatch()) != null) {
                run(batch.requests(), batch.paddingRatio(), true);
            }
        } finally {
            running.decrementAndGet();
        }
        startWorker(); // a request may have arrived between the last poll and the decrement
    }

    /**
     * The next batch, taken off the queue, or null when the queue is empty. It waits only with {@code maxDelay}
     * set, and then only while the batch could still grow.
     */
    private Batch nextBatch() {
        lock.lock();
        try {
            while (true) {
                Pending first = liveHead();
                if (first == null) {
                    return null;
                }
                Batch batch = choose(first);
                long wait = settings.maxDelay().isEmpty() || full(batch) ? 0
                        : first.enqueued() + settings.maxDelay().get().toNanos() - System.nanoTime();
                if (wait > 0) {
                    try {
                        arrived.awaitNanos(wait);
                        continue;
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt(); // run what there is
                    }
                }
                Set<Pending> taken = Collections.newSetFromMap(new IdentityHashMap<>());
                taken.addAll(batch.requests());
                queue.removeIf(taken::contains);
                return batch;
            }
        } finally {
            lock.unlock();
        }
    }

    /** Whether no waiting request could join: the rows or the token budget are used up, or the model cannot batch. */
    private boolean full(Batch batch) {
        return batch.rows() >= settings.maxSize() || (batch.rows() + 1) * batch.longest() > settings.maxTokens()
                || !batchable(batch.requests().get(0));
    }

    private boolean batchable(Pending first) {
        return settings.maxSize() > 1 && unbatchedReason(first.model()) == null;
    }

    /**
     * Under the lock: the batch around the oldest live request {@code first}. The compatible requests of the window
     * are sorted by length; from {@code first}'s place the batch grows one neighbour at a time, shorter or longer,
     * whichever pads less, while rows, tokens and the padded share stay within the settings.
     */
    private Batch choose(Pending first) {
        List<Pending> candidates = new ArrayList<>();
        candidates.add(first);
        if (batchable(first)) {
            int scanned = 0;
            for (Iterator<Pending> it = queue.iterator(); it.hasNext() && scanned < window; ) {
                Pending p = it.next();
                if (p == first) {
                    continue;
                }
                if (expired(p)) {
                    it.remove();
                    continue;
                }
                scanned++;
                if (first.rows() + p.rows() <= settings.maxSize() && compatible(first, p)) {
                    candidates.add(p);
                }
            }
        }
        List<Pending> chosen = new ArrayList<>();
        chosen.add(first);
        long rows = first.rows();
        long longest = first.cells();
        long real = first.rows() * first.cells();
        if (candidates.size() > 1) {
            candidates.sort(Comparator.comparingLong(Pending::length)); // stable: the older first among equals
            int at = 0;
            while (candidates.get(at) != first) {
                at++;
            }
            int shorter = at - 1;
            int longer = at + 1;
            while (true) {
                Pending s = shorter >= 0 ? candidates.get(shorter) : null;
                Pending l = longer < candidates.size() ? candidates.get(longer) : null;
                double padS = s == null ? Double.NaN : paddingWith(rows, longest, real, s);
                double padL = l == null ? Double.NaN : paddingWith(rows, longest, real, l);
                boolean takeS = !Double.isNaN(padS) && (Double.isNaN(padL) || padS < padL
                        || padS == padL && s.enqueued() <= l.enqueued());
                Pending next = takeS ? s : !Double.isNaN(padL) ? l : null;
                if (next == null) {
                    break;
                }
                if (takeS) {
                    shorter--;
                } else {
                    longer++;
                }
                chosen.add(next);
                rows += next.rows();
                longest = Math.max(longest, next.cells());
                real += next.rows() * next.cells();
            }
        }
        return new Batch(chosen, rows, longest, real);
    }

    /** The padded share of the batch with {@code p} added, or NaN when that breaks a limit of the settings. */
    private double paddingWith(long rows, long longest, long real, Pending p) {
        long r = rows + p.rows();
        long l = Math.max(longest, p.cells());
        if (r > settings.maxSize() || r * l > settings.maxTokens()) {
            return Double.NaN;
        }
        double padding = 1.0 - (double) (real + p.rows() * p.cells()) / ((double) r * l);
        return padding <= settings.maxPadding() + 1e-9 ? padding : Double.NaN;
    }

    private static boolean compatible(Pending first, Pending p) {
        return p.model() == first.model() && p.call().outputs().equals(first.call().outputs())
                && Collation.compatible(first.call().inputs(), p.call().inputs(), first.pads());
    }

    /** Why this model runs one request at a time although batching is configured; null when it can batch. */
    private String unbatchedReason(LoadedModel model) {
        String reason = null;
        if (!model.signature().batchable()) {
            reason = "the first dimension of its inputs and outputs is not a dynamic batch dimension";
        } else if (model.dynamicallyQuantized() && !settings.batchDynamicallyQuantized()) {
            reason = "it quantises activations at run time (DynamicQuantizeLinear), so a batch would change each "
                    + "request's result; set ember.functions." + id.model()
                    + ".batch.dynamically-quantized=true to batch it anyway";
        }
        if (reason != null && unbatchedLogged.compareAndSet(false, true)) {
            LOG.infof("model %s runs unbatched: %s", id, reason);
        }
        return reason;
    }

    /** Under the lock: the oldest request still to run, answering the expired ones before it. */
    private Pending liveHead() {
        Pending p;
        while ((p = queue.peekFirst()) != null && expired(p)) {
            queue.pollFirst();
        }
        return p;
    }

    /** Completes an expired or already-answered request; true when it must not run. */
    private boolean expired(Pending p) {
        if (p.result().isDone()) {
            return true;
        }
        if (System.nanoTime() - p.deadline() >= 0) {
            rejectedTimeout.increment();
            QueueTimeoutException timedOut = new QueueTimeoutException(
                    "the invocation of " + id + " timed out while queued");
            queueSpan(p).fail(timedOut).end();
            p.result().completeExceptionally(timedOut);
            return true;
        }
        return false;
    }

    /** The span of a request's time in the queue, from its arrival to now. */
    private Tracing.Span queueSpan(Pending p) {
        return tracing.startedAt("ember.queue", p.parent(), p.enqueued())
                .attribute("ember.function", id.model()).attribute("ember.version", id.version());
    }

    /**
     * One {@code ember.run} span per request of the batch, each in its caller's trace: a batch serves requests of
     * many traces, and each trace shows the run that served it.
     */
    private List<Tracing.Span> runSpans(List<Pending> batch, long rows, boolean fromQueue) {
        if (!tracing.enabled()) {
            return List.of();
        }
        List<Tracing.Span> spans = new ArrayList<>(batch.size());
        String device = batch.get(0).model().device();
        for (Pending p : batch) {
            if (fromQueue) {
                queueSpan(p).end();
            }
            spans.add(tracing.start("ember.run", p.parent()).attribute("ember.function", id.model())
                    .attribute("ember.version", id.version()).attribute("ember.batch.rows", rows)
                    .attribute("ember.batch.requests", batch.size()).attribute("ember.device", device));
        }
        return spans;
    }

    private void run(List<Pending> batch, double paddingRatio, boolean fromQueue) {
        long start = System.nanoTime();
        batch.forEach(p -> queueWait.record(start - p.enqueued(), TimeUnit.NANOSECONDS));
        Pending first = batch.get(0);
        List<Tracing.Span> spans = runSpans(batch, batch.stream().mapToLong(Pending::rows).sum(), fromQueue);
        try {
            Map<String, Tensor> outputs;
            long[] rows = new long[batch.size()];
            if (batch.size() == 1) {
                rows[0] = first.call().rows();
                outputs = first.model().run(first.call().inputs(), first.call().outputs());
            } else {
                List<Map<String, Tensor>> inputs = new ArrayList<>(batch.size());
                for (int i = 0; i < batch.size(); i++) {
                    inputs.add(batch.get(i).call().inputs());
                    rows[i] = batch.get(i).call().rows();
                }
                outputs = first.model().run(Collation.stack(inputs, first.pads()), first.call().outputs());
            }
            long took = System.nanoTime() - start;
            inference.record(took, TimeUnit.NANOSECONDS);
            recordRun(took);
            batchRows.record(sum(rows));
            batchPadding.record(paddingRatio);
            runs.record(sum(rows), took);
            spans.forEach(Tracing.Span::end);
            if (batch.size() == 1) {
                first.result().complete(outputs);
                return;
            }
            List<Map<String, Tensor>> parts = Collation.split(outputs, rows);
            for (int i = 0; i < batch.size(); i++) {
                batch.get(i).result().complete(parts.get(i));
            }
        } catch (RuntimeException e) {
            spans.forEach(span -> span.fail(e).end());
            if (batch.size() > 1) {
                // one request's bad input must not fail its neighbours: run each alone to isolate it
                batch.forEach(p -> run(List.of(p), 0, false));
                return;
            }
            first.result().completeExceptionally(e instanceof EmberException ? e
                    : new InferenceFailedException("model " + id + " failed: " + e.getMessage(), e));
        }
    }

    private static long sum(long[] values) {
        long s = 0;
        for (long v : values) {
            s += v;
        }
        return s;
    }
}
