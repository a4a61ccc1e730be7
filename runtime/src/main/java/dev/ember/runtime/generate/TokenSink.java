package dev.ember.runtime.generate;

/**
 * Where a generation streams to, called on the generation thread in order: any number of {@link #text}, then
 * exactly one of {@link #finished} or {@link #failed}. Each call must be quick and must never block (an ingress
 * hands the text to its connection and returns).
 */
public interface TokenSink {

    /** New text of the completion: never part of a stop string, never half a UTF-8 character. */
    void text(String delta);

    /** The generation ended: the whole text, why it ended and the token counts. */
    void finished(GenerationResult result);

    /**
     * It failed with one of the typed exceptions of {@code api}, or a {@link java.util.concurrent.CancellationException}
     * when it was cancelled (its client left); nothing follows.
     */
    void failed(Throwable failure);
}
