package dev.ember.runtime.generate;

import dev.ember.runtime.api.InferenceFailedException;
import dev.ember.runtime.api.LogitsProcessor;
import dev.ember.runtime.api.ModelId;
import dev.ember.runtime.onnx.KvCache;
import org.jboss.logging.Logger;

import java.util.Arrays;
import java.util.Set;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;

/**
 * One generation inside its engine: its tokens (the prompt, then those generated; the last generated one is not
 * yet in the cache), its sampler and its text. Everything but {@link #cancel()} runs on the engine's thread.
 * Preemption keeps all of it, so a recomputed sequence goes on exactly as it would have.
 */
final class Sequence implements Generation {

    private static final Logger LOG = Logger.getLogger(Sequence.class);

    private final ModelId id;
    private final GenerationEngine engine;
    private final TokenSink sink;
    private final GenerationMetrics metrics;
    private final Sampler sampler;
    private final IncrementalText text;
    private final LogitsProcessor[] processors;
    private final Set<Long> eos;
    private final int maxTokens;
    private final int maxPositions;
    final int promptLength;
    final long submitted;
    /** Until when it may wait for its first schedule (nanoTime). */
    final long deadline;
    final CompletableFuture<Generation> admitted = new CompletableFuture<>();
    final Consumer<Generation> onScheduled;
    private final CompletableFuture<GenerationResult> result = new CompletableFuture<>();
    private volatile boolean cancelled;

    private long[] tokens;
    private int length;
    private int generated;
    private long lastTokenAt;
    private boolean done;
    private GenerationResult outcome;
    private Throwable failure;
    /** Whether it was scheduled once: it left the waiting queue for its prompt pass. */
    boolean started;
    /** Tokens of it in the cache (its row of the batch, or its own cache during its prompt pass). */
    int pastLength;
    /** Its own cache during its prompt pass; null otherwise. */
    KvCache own;

    Sequence(ModelId id, GenerationEngine engine, GeneratorModel.Prepared prepared, GeneratorModel model,
            TokenSink sink, GenerationMetrics metrics, long submitted, long deadline,
            Consumer<Generation> onScheduled) {
        this.onScheduled = onScheduled;
        this.id = id;
        this.engine = engine;
        this.sink = sink;
        this.metrics = metrics;
        this.sampler = new Sampler(prepared.temperature(), prepared.topP(), prepared.seed());
        this.text = new IncrementalText(model.tokens(), prepared.stop());
        this.processors = prepared.processors().toArray(LogitsProcessor[]::new);
        this.eos = model.eos();
        this.maxTokens = prepared.maxTokens();
        this.maxPositions = model.maxPositions();
        this.promptLength = prepared.prompt().length;
        this.tokens = Arrays.copyOf(prepared.prompt(), prepared.prompt().length + Math.min(prepared.maxTokens(), 256));
        this.length = promptLength;
        this.submitted = submitted;
        this.deadline = deadline;
    }

    @Override
    public ModelId id() {
        return id;
    }

    @Override
    public void cancel() {
        if (!cancelled) {
            cancelled = true;
            engine.wake();
        }
    }

    @Override
    public CompletableFuture<GenerationResult> result() {
        return result;
    }

    boolean cancelled() {
        return cancelled || admitted.isCancelled();
    }

    boolean done() {
        return done;
    }

    /** No token generated yet: its prompt pass samples its first one. */
    boolean fresh() {
        return generated == 0;
    }

    /** The tokens its cache must hold before the next decode step: all but the last one generated. */
    long[] context() {
        return Arrays.copyOf(tokens, fresh() ? length : length - 1);
    }

    int contextLength() {
        return fresh() ? length : length - 1;
    }

    /** The token the next decode step feeds. */
    long pending() {
        return tokens[length - 1];
    }

    /** Picks the next token from this sequence's logits (changed in place by its processors). */
    int sample(float[] logits) {
        if (processors.length > 0) {
            long[] seen = Arrays.copyOf(tokens, length);
            for (LogitsProcessor p : processors) {
                p.process(seen, logits);
            }
        }
        return sampler.next(logits);
    }

    /** Takes a generated token; the sequence may finish with it. */
    void accept(int token) {
        if (length == tokens.length) {
            tokens = Arrays.copyOf(tokens, Math.min(Math.max(length * 2, 16), maxPositions + 1));
        }
        tokens[length++] = token;
        generated++;
        metrics.completion();
        long now = System.nanoTime();
        if (generated == 1) {
            metrics.firstToken(now - submitted);
        } else {
            metrics.interToken(now - lastTokenAt);
        }
        lastTokenAt = now;
        if (eos.contains((long) token)) {
            finish(FinishReason.STOP);
            return;
        }
        emit(text.push(token));
        if (text.stopped()) {
            finish(FinishReason.STOP);
        } else if (generated >= maxTokens || length >= maxPositions) {
            finish(FinishReason.LENGTH);
        }
    }

    /** Ends it, the held-back text released first. */
    void finish(FinishReason reason) {
        if (done) {
            return;
        }
        emit(text.finish());
        done = true;
        GenerationResult r = new GenerationResult(text.text(), reason, promptLength, generated);
        outcome = r;
        try {
            sink.finished(r);
        } catch (RuntimeException e) {
            LOG.debugf(e, "the sink of a generation on %s failed", id);
        }
    }

    void fail(Throwable f) {
        if (done) {
            return;
        }
        done = true;
        failure = f;
        try {
            sink.failed(f);
        } catch (RuntimeException e) {
            LOG.debugf(e, "the sink of a generation on %s failed", id);
        }
    }

    /**
     * It left the engine, its slot and cache freed: now its result completes (the sink heard of its end at once),
     * so whoever waits for the result (the model's lease) sees the engine without it.
     */
    void release() {
        if (outcome != null) {
            result.complete(outcome);
        } else if (failure != null) {
            result.completeExceptionally(failure);
        }
    }

    /** The client left: nobody reads what follows, the failure only closes the sink's stream. */
    void cancelled(String why) {
        fail(new CancellationException(why));
    }

    /**
     * Withdrawn before it was ever scheduled (its caller cancelled the admission future): its caller never had a
     * Generation, so the sink hears nothing; only the result says so.
     */
    void withdrawn() {
        done = true;
        failure = new CancellationException("withdrawn before it was scheduled");
    }

    /** A function's logits processor threw: its own fault, not the model's. */
    void processorFailed(RuntimeException e) {
        fail(new InferenceFailedException("a logits processor of function '" + id.model() + "' failed", e));
    }

    private void emit(String delta) {
        if (delta.isEmpty() || cancelled) {
            return;
        }
        try {
            sink.text(delta);
        } catch (RuntimeException e) {
            // the ingress could not take it: its client is gone
            LOG.debugf(e, "the sink of a generation on %s refused text; cancelling it", id);
            cancelled = true;
        }
    }
}
