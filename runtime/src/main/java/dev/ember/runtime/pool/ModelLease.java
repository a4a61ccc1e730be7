package dev.ember.runtime.pool;

import dev.ember.runtime.onnx.LoadedModel;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One request's hold on a model version, from before its load to after its last run: while any lease is open the
 * version is not idle, so it is neither unloaded by its idle timeout nor evicted for the memory budget, and an
 * explicit unload waits for it. Close it exactly when the request's work is over, on every path; closing twice is
 * harmless.
 */
public final class ModelLease implements AutoCloseable {

    private final CompletableFuture<LoadedModel> model;
    private final boolean cold;
    private final Runnable release;
    private final AtomicBoolean closed = new AtomicBoolean();

    ModelLease(CompletableFuture<LoadedModel> model, boolean cold, Runnable release) {
        this.model = model;
        this.cold = cold;
        this.release = release;
    }

    /** The loaded model; completes exceptionally with a typed exception when the version cannot be loaded. */
    public CompletableFuture<LoadedModel> model() {
        return model;
    }

    /** Whether this request found the version not yet warm, so it waits for (or triggered) a load: a cold start. */
    public boolean cold() {
        return cold;
    }

    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            release.run();
        }
    }
}
