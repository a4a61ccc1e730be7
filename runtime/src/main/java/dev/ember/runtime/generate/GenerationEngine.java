package dev.ember.runtime.generate;

import dev.ember.runtime.api.EmberException;
import dev.ember.runtime.api.GenerationRequest;
import dev.ember.runtime.api.InferenceFailedException;
import dev.ember.runtime.api.ModelId;
import dev.ember.runtime.api.PayloadTooLargeException;
import dev.ember.runtime.api.QueueTimeoutException;
import dev.ember.runtime.api.UnavailableException;
import dev.ember.runtime.onnx.Decoder;
import dev.ember.runtime.onnx.DecoderOutput;
import dev.ember.runtime.onnx.KvCache;
import dev.ember.runtime.pool.KvCacheBudget;
import org.jboss.logging.Logger;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;

/**
 * Iteration-level scheduling of one loaded generator version, on one thread of its own (started when work arrives,
 * gone when there is none, so it never outlives its model). Each iteration:
 * <ol>
 * <li>sequences that finished or were cancelled leave the batch (their rows cut out, and the left columns that
 * are padding in every remaining row);</li>
 * <li>the head of the waiting queue starts its prompt pass when a running slot is free and the KV cache it will
 * need fits the budget;</li>
 * <li>one chunk (at most {@code prefill-chunk} tokens) of the prompt pass in progress runs, so a long prompt stalls
 * the running streams for one chunk at a time; when its last chunk ran, its cache joins the batch;</li>
 * <li>one decoder run advances every running sequence by one token: pasts left-padded under the attention mask,
 * position ids the true positions, the model's {@code present} fed back as the next past without a copy.</li>
 * </ol>
 * The batch's cache is re-packed ({@link KvCache#select}, {@link Decoder#concat}) only when its membership
 * changes. Before a step would grow the cache past the budget, the newest sequence is preempted: its cache is freed
 * and it waits at the head of the queue to recompute its tokens, keeping its sampler and its text, so its output
 * does not change. A failed run fails the sequences of that run only; the engine goes on serving.
 */
public final class GenerationEngine {

    private static final Logger LOG = Logger.getLogger(GenerationEngine.class);
    private static final Duration RETRY_AFTER = Duration.ofSeconds(1);
    /** How often an engine that waits for room held by other versions looks again. */
    private static final long BUDGET_POLL = TimeUnit.MILLISECONDS.toNanos(10);

    /** A version's scheduling settings: {@code ember.functions.<f>.generate.*}. */
    public record Settings(int maxRunning, int maxWaiting, int prefillChunk) {
        public Settings {
            // a sequence waits at least until the next iteration admits it, so max-waiting 0 would refuse all
            if (maxRunning < 1 || maxWaiting < 1 || prefillChunk < 1) {
                throw new IllegalArgumentException("generate: max-running, max-waiting and prefill-chunk must be at"
                        + " least 1");
            }
        }
    }

    private final ModelId id;
    private final Decoder decoder;
    private final GeneratorModel model;
    private final Settings settings;
    private final KvCacheBudget.Account kv;
    private final GenerationMetrics metrics;
    private final long bytesPerToken;

    private final ReentrantLock lock = new ReentrantLock();
    private final Condition work = lock.newCondition();
    // guarded by lock
    private final ArrayDeque<Sequence> waiting = new ArrayDeque<>();
    private Thread thread;
    private boolean closed;
    private boolean woken;

    // the scheduler thread's own (handed from one thread to the next under the lock)
    private final List<Sequence> running = new ArrayList<>();
    private KvCache batch;
    private Sequence prefilling;
    private Sequence joining;

    public GenerationEngine(ModelId id, Decoder decoder, GeneratorModel model, Settings settings,
            KvCacheBudget.Account kv, GenerationMetrics metrics) {
        this.id = id;
        this.decoder = decoder;
        this.model = model;
        this.settings = settings;
        this.kv = kv;
        this.metrics = metrics;
        this.bytesPerToken = decoder.layout().bytesPerToken();
    }

    public ModelId id() {
        return id;
    }

    public GeneratorModel model() {
        return model;
    }

    /**
     * Validates a request and queues its sequence. Throws at once: {@link dev.ember.runtime.api.InvalidInputException}
     * for bad input, {@link PayloadTooLargeException} when its prompt and one token can never fit the KV budget,
     * {@link UnavailableException} when the waiting queue is full. The future completes, on the engine's thread and
     * before any text reaches the sink, when the sequence is scheduled; it fails with {@link QueueTimeoutException}
     * when {@code deadline} (nanoTime) passes first.
     */
    public CompletableFuture<Generation> submit(GenerationRequest request, TokenSink sink, long deadline) {
        return submit(request, sink, deadline, g -> {
        });
    }

    /**
     * As {@link #submit(GenerationRequest, TokenSink, long)}; {@code onScheduled} is called on the engine's thread
     * when the sequence is scheduled, before the future completes and before the sink gets any text, so a caller can
     * make its answer ready (e.g. the response headers) before the first text can reach it. It must not block.
     */
    public CompletableFuture<Generation> submit(GenerationRequest request, TokenSink sink, long deadline,
            Consumer<Generation> onScheduled) {
        long submitted = System.nanoTime();
        GeneratorModel.Prepared prepared = model.prepare(request);
        long need = (prepared.prompt().length + 1L) * bytesPerToken;
        if (need > kv.limit()) {
            throw new PayloadTooLargeException("'" + (request.chat() ? "messages" : "prompt") + "': its "
                    + prepared.prompt().length + " tokens need " + need + " bytes of KV cache, more than the "
                    + kv.limit() + " bytes function '" + id.model() + "' may hold (ember.functions." + id.model()
                    + ".generate.kv-cache-budget, ember.pool.kv-cache-budget)");
        }
        Sequence s = new Sequence(id, this, prepared, model, sink, metrics, submitted, deadline, onScheduled);
        lock.lock();
        try {
            if (closed) {
                throw new UnavailableException("model " + id + " is unloading", RETRY_AFTER);
            }
            if (waiting.size() >= settings.maxWaiting()) {
                metrics.queueFull();
                throw new UnavailableException("function '" + id.model() + "' version " + id.version() + " has "
                        + waiting.size() + " generations waiting, its limit (ember.functions." + id.model()
                        + ".generate.max-waiting)", RETRY_AFTER);
            }
            waiting.addLast(s);
            metrics.waiting.incrementAndGet();
            signal();
        } finally {
            lock.unlock();
        }
        return s.admitted;
    }

    /** Stops taking sequences and fails those waiting and running with 503 (the model is going away). */
    public void close() {
        lock.lock();
        try {
            closed = true;
            if (thread != null || !waiting.isEmpty()) {
                signal();
            }
        } finally {
            lock.unlock();
        }
    }

    /** Whether the engine has no thread now (no work): for tests of its lifecycle. */
    boolean idle() {
        lock.lock();
        try {
            return thread == null;
        } finally {
            lock.unlock();
        }
    }

    void wake() {
        lock.lock();
        try {
            signal();
        } finally {
            lock.unlock();
        }
    }

    /** Under the lock: wakes the thread, starting one when there is none. */
    private void signal() {
        woken = true;
        if (thread == null) {
            thread = new Thread(this::loop, "ember-generate-" + id.model() + "-v" + id.version());
            thread.setDaemon(true);
            thread.start();
        } else {
            work.signalAll();
        }
    }

    private void loop() {
        try {
            while (true) {
                boolean progress = iterate();
                lock.lock();
                try {
                    if (!progress) {
                        if (running.isEmpty() && prefilling == null && waiting.isEmpty()) {
                            kv.hold(0);
                            thread = null;
                            return;
                        }
                        if (!woken) {
                            // waiting for cache room that other versions hold: look again soon or at a deadline
                            work.awaitNanos(Math.max(1, Math.min(BUDGET_POLL, earliestDeadline() - System.nanoTime())));
                        }
                    }
                    woken = false;
                } finally {
                    lock.unlock();
                }
            }
        } catch (Throwable t) {
            // never silently: every sequence of this engine learns of it; the next submit starts a fresh thread
            LOG.errorf(t, "the generation engine of %s failed", id);
            failEverything(t instanceof EmberException e ? e
                    : new InferenceFailedException("the generation engine of " + id + " failed", t));
            lock.lock();
            try {
                thread = null;
                // work that arrived meanwhile gets a fresh thread
                if (!waiting.isEmpty() && !closed) {
                    signal();
                }
            } finally {
                lock.unlock();
            }
        }
    }

    /** One iteration; false when it did nothing (no work, or none it can admit now). */
    private boolean iterate() {
        if (closedNow()) {
            failEverything(new UnavailableException("model " + id + " is unloading", RETRY_AFTER));
            return false;
        }
        expireWaiting();
        leave();
        admit();
        boolean progress = false;
        if (prefilling != null) {
            prefillChunk();
            progress = true;
        }
        if (joining != null) {
            repack();
        }
        if (!running.isEmpty()) {
            if (makeRoom()) {
                decodeStep();
            }
            progress = true;
        } else if (prefilling == null) {
            kv.hold(0);
        }
        return progress;
    }

    private boolean closedNow() {
        lock.lock();
        try {
            return closed;
        } finally {
            lock.unlock();
        }
    }

    /** Waiting sequences never scheduled whose deadline passed, and cancelled ones, leave the queue. */
    private void expireWaiting() {
        List<Sequence> expired = new ArrayList<>();
        List<Sequence> cancelled = new ArrayList<>();
        lock.lock();
        try {
            long now = System.nanoTime();
            for (Iterator<Sequence> it = waiting.iterator(); it.hasNext();) {
                Sequence s = it.next();
                if (s.cancelled()) {
                    it.remove();
                    cancelled.add(s);
                } else if (!s.started && now - s.deadline >= 0) {
                    it.remove();
                    expired.add(s);
                }
            }
            metrics.waiting.addAndGet(-(expired.size() + cancelled.size()));
        } finally {
            lock.unlock();
        }
        for (Sequence s : expired) {
            metrics.timedOut();
            s.admitted.completeExceptionally(new QueueTimeoutException("the generation on function '" + id.model()
                    + "' version " + id.version() + " was not scheduled before its deadline"));
        }
        for (Sequence s : cancelled) {
            if (s.started) {
                s.cancelled("cancelled while waiting"); // a preempted one: its stream had begun
            } else {
                s.withdrawn();
            }
            s.release();
        }
    }

    /** Finished and cancelled sequences leave the batch; the cache is re-packed when any did. */
    private void leave() {
        boolean changed = false;
        for (Sequence s : running) {
            if (s.cancelled() && !s.done()) {
                s.cancelled("cancelled");
            }
            changed |= s.done();
        }
        if (prefilling != null && prefilling.cancelled()) {
            prefilling.cancelled("cancelled");
            closeOwn(prefilling);
            metrics.running.decrementAndGet();
            prefilling.release();
            prefilling = null;
        }
        if (changed) {
            repack();
        }
    }

    /** The head of the queue starts its prompt pass when a slot is free and its cache fits. */
    private void admit() {
        if (prefilling != null || running.size() >= settings.maxRunning()) {
            return;
        }
        Sequence head;
        lock.lock();
        try {
            head = waiting.peekFirst();
        } finally {
            lock.unlock();
        }
        if (head == null) {
            return;
        }
        if (running.isEmpty() && (head.contextLength() + 1L) * bytesPerToken > kv.limit()) {
            // a preempted sequence that grew past what this version may hold even alone: its room is its context
            lock.lock();
            try {
                if (waiting.remove(head)) {
                    metrics.waiting.decrementAndGet();
                } else {
                    return;
                }
            } finally {
                lock.unlock();
            }
            head.finish(FinishReason.LENGTH);
            head.release();
            return;
        }
        if (!kv.hold(required(head))) {
            return;
        }
        lock.lock();
        try {
            if (waiting.peekFirst() != head) {
                return; // cancelled meanwhile; the next iteration looks again
            }
            waiting.pollFirst();
            metrics.waiting.decrementAndGet();
        } finally {
            lock.unlock();
        }
        metrics.running.incrementAndGet();
        prefilling = head;
        head.pastLength = 0;
        if (!head.started) {
            head.started = true;
            if (!head.admitted.isCancelled()) {
                try {
                    head.onScheduled.accept(head);
                } catch (RuntimeException e) {
                    LOG.warnf(e, "a caller's hook failed when its generation on %s was scheduled", id);
                }
            }
            if (!head.admitted.complete(head)) {
                // the caller gave up on it (cancelled the future) before it was scheduled
                metrics.running.decrementAndGet();
                prefilling = null;
                head.withdrawn();
                head.release();
            }
        }
    }

    /** One chunk of the prompt pass in progress; after the last, the sequence is ready to join. */
    private void prefillChunk() {
        Sequence s = prefilling;
        long[] context = s.context();
        int from = s.pastLength;
        int n = Math.min(settings.prefillChunk(), context.length - from);
        long[][] ids = new long[1][n];
        long[][] mask = new long[1][from + n];
        long[][] positions = new long[1][n];
        for (int j = 0; j < n; j++) {
            ids[0][j] = context[from + j];
            positions[0][j] = from + j;
        }
        Arrays.fill(mask[0], 1);
        KvCache past = s.own != null ? s.own : decoder.empty(1);
        DecoderOutput out;
        try {
            out = decoder.run(ids, mask, positions, past);
        } catch (RuntimeException e) {
            past.close();
            s.own = null;
            prefilling = null;
            metrics.running.decrementAndGet();
            s.fail(typed(e));
            s.release();
            return;
        }
        past.close();
        s.own = out.present();
        s.pastLength = from + n;
        if (s.pastLength < context.length) {
            return;
        }
        prefilling = null;
        if (s.fresh()) {
            metrics.prompt(s.promptLength);
            try {
                s.accept(s.sample(out.logits()[0]));
            } catch (RuntimeException e) {
                s.processorFailed(e);
            }
            if (s.done() || s.cancelled()) {
                if (!s.done()) {
                    s.cancelled("cancelled");
                }
                closeOwn(s);
                metrics.running.decrementAndGet();
                s.release();
                return;
            }
        }
        joining = s;
    }

    /**
     * Rebuilds the batch from the sequences that stay, in order, and the one joining (last): one copy, each row
     * left-padded to the longest remaining past, so columns that were padding in every row are gone.
     */
    private void repack() {
        List<Sequence> stay = new ArrayList<>();
        List<Sequence> gone = new ArrayList<>();
        List<Integer> keep = new ArrayList<>();
        for (int r = 0; r < running.size(); r++) {
            Sequence s = running.get(r);
            if (s.done()) {
                metrics.running.decrementAndGet();
                gone.add(s);
            } else {
                stay.add(s);
                keep.add(r);
            }
        }
        int length = 0;
        for (Sequence s : stay) {
            length = Math.max(length, s.pastLength);
        }
        if (joining != null) {
            length = Math.max(length, joining.pastLength);
        }
        KvCache kept = null;
        if (batch != null) {
            if (!stay.isEmpty()) {
                kept = keep.size() == batch.rows() && length == batch.length() ? batch
                        : batch.select(keep.stream().mapToInt(Integer::intValue).toArray(), length);
            }
            if (kept != batch) {
                batch.close();
            }
            batch = null;
        }
        KvCache next = kept;
        if (joining != null) {
            if (kept == null) {
                next = joining.own; // alone: its own cache is the batch, no copy
                joining.own = null;
            } else {
                try {
                    next = decoder.concat(List.of(kept, joining.own), length);
                } finally {
                    kept.close();
                    closeOwn(joining);
                }
            }
            stay.add(joining);
            joining = null;
        }
        batch = next;
        running.clear();
        running.addAll(stay);
        // shrinks the hold to what the batch now needs (a joiner's room was held since its admission)
        kv.hold(required(prefilling));
        for (Sequence s : gone) {
            s.release();
        }
    }

    /** KV cache bytes to hold for the next step: the batch one column longer, and the prompt pass in progress. */
    private long required(Sequence entering) {
        int rows = running.size();
        int length = batch == null ? 0 : batch.length();
        if (entering == null) {
            return rows * (length + 1L) * bytesPerToken;
        }
        // as if it had joined and taken its first step: what the batch needs once its prompt pass is over
        return (rows + 1L) * (Math.max(length, entering.contextLength()) + 1L) * bytesPerToken;
    }

    /**
     * Holds the bytes of the next step, preempting the newest sequences while they do not fit: the prompt pass in
     * progress first, then the batch's newest rows. A sequence that cannot grow even alone ends with LENGTH: the
     * memory it may have is its context. Returns whether a step can run.
     */
    private boolean makeRoom() {
        while (!kv.hold(required(prefilling))) {
            if (prefilling != null) {
                Sequence s = prefilling;
                prefilling = null;
                closeOwn(s);
                requeue(s);
            } else if (running.size() > 1) {
                Sequence newest = running.get(running.size() - 1);
                int[] keep = new int[running.size() - 1];
                int length = 0;
                for (int r = 0; r < keep.length; r++) {
                    keep[r] = r;
                    length = Math.max(length, running.get(r).pastLength);
                }
                KvCache smaller = batch.select(keep, length);
                batch.close();
                batch = smaller;
                running.remove(running.size() - 1);
                requeue(newest);
            } else {
                Sequence alone = running.get(0);
                alone.finish(FinishReason.LENGTH);
                repack();
                return false;
            }
        }
        return true;
    }

    /** Puts a preempted sequence at the head of the queue, to recompute its cache when there is room again. */
    private void requeue(Sequence s) {
        metrics.preempted();
        metrics.running.decrementAndGet();
        s.pastLength = 0;
        lock.lock();
        try {
            waiting.addFirst(s);
            metrics.waiting.incrementAndGet();
        } finally {
            lock.unlock();
        }
        LOG.debugf("generation on %s preempted for KV cache room", id);
    }

    private void decodeStep() {
        int rows = running.size();
        int length = batch.length();
        long[][] ids = new long[rows][1];
        long[][] mask = new long[rows][length + 1];
        long[][] positions = new long[rows][1];
        for (int r = 0; r < rows; r++) {
            Sequence s = running.get(r);
            ids[r][0] = s.pending();
            Arrays.fill(mask[r], length - s.pastLength, length + 1, 1L);
            positions[r][0] = s.pastLength;
        }
        DecoderOutput out;
        try {
            out = decoder.run(ids, mask, positions, batch);
        } catch (RuntimeException e) {
            Throwable failure = typed(e);
            LOG.debugf("a decode step of %s failed: %s", id, failure.getMessage());
            batch.close();
            batch = null;
            for (Sequence s : running) {
                metrics.running.decrementAndGet();
                s.fail(failure);
                s.release();
            }
            running.clear();
            kv.hold(required(prefilling));
            return;
        }
        batch.close();
        batch = out.present();
        metrics.step(rows);
        for (int r = 0; r < rows; r++) {
            Sequence s = running.get(r);
            s.pastLength++;
            if (s.cancelled()) {
                continue;
            }
            try {
                s.accept(s.sample(out.logits()[r]));
            } catch (RuntimeException e) {
                s.processorFailed(e);
            }
        }
    }

    private void failEverything(Throwable failure) {
        List<Sequence> queued;
        lock.lock();
        try {
            queued = new ArrayList<>(waiting);
            waiting.clear();
            metrics.waiting.addAndGet(-queued.size());
        } finally {
            lock.unlock();
        }
        List<Sequence> ended = new ArrayList<>(running);
        running.clear();
        if (prefilling != null) {
            closeOwn(prefilling);
            ended.add(prefilling);
            prefilling = null;
        }
        if (joining != null) {
            closeOwn(joining);
            ended.add(joining);
            joining = null;
        }
        if (batch != null) {
            batch.close();
            batch = null;
        }
        kv.hold(0);
        for (Sequence s : queued) {
            if (!s.admitted.completeExceptionally(failure)) {
                s.fail(failure);
                s.release();
            }
        }
        for (Sequence s : ended) {
            metrics.running.decrementAndGet();
            s.fail(failure);
            s.release();
        }
    }

    private long earliestDeadline() {
        long earliest = System.nanoTime() + BUDGET_POLL;
        for (Sequence s : waiting) {
            if (!s.started && s.deadline - earliest < 0) {
                earliest = s.deadline;
            }
        }
        return earliest;
    }

    private static void closeOwn(Sequence s) {
        if (s.own != null) {
            s.own.close();
            s.own = null;
        }
    }

    /** A typed failure as it is; anything else is the model's fault, its text kept for the log only. */
    private Throwable typed(RuntimeException e) {
        return e instanceof EmberException ? e
                : new InferenceFailedException("model " + id + " failed while generating", e);
    }
}
