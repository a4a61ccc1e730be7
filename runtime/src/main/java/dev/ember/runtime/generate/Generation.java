package dev.ember.runtime.generate;

import dev.ember.runtime.api.ModelId;

import java.util.concurrent.CompletableFuture;

/** A generation admitted to a version's engine: it streams to its {@link TokenSink} and can be cancelled. */
public interface Generation {

    /** The version that serves it. */
    ModelId id();

    /** The client left: the sequence leaves the batch and frees its cache within one step. Idempotent. */
    void cancel();

    /** Completes with the result, or exceptionally with the failure the sink saw. */
    CompletableFuture<GenerationResult> result();
}
