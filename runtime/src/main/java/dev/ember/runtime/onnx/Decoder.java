package dev.ember.runtime.onnx;

import java.util.List;

/**
 * A loaded decoder model run step by step with its KV cache kept between runs ({@link LoadedModel#decoder()}). One
 * run advances every row by {@code seq} tokens: the prompt pass of new sequences (seq = prompt or chunk length) or
 * a decode step of the running batch (seq = 1). Safe to call from one thread per batch; the session is shared.
 */
public interface Decoder {

    DecoderLayout layout();

    /** A cache of {@code rows} rows and no columns, the past of a first prompt pass. */
    KvCache empty(int rows);

    /** The rows of {@code parts}, stacked in order, each left-padded (or cut on the left) to {@code length}. */
    KvCache concat(List<KvCache> parts, int length);

    /**
     * One run. {@code inputIds} and {@code positionIds} are [rows, seq] (positions are each row's true positions,
     * ignored when the graph takes none); {@code attentionMask} is [rows, past.length() + seq], 0 over each row's
     * left padding. {@code past} is not closed. Run failures are the typed exceptions of {@link LoadedModel#run}.
     */
    DecoderOutput run(long[][] inputIds, long[][] attentionMask, long[][] positionIds, KvCache past);
}
