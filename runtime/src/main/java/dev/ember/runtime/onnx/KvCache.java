package dev.ember.runtime.onnx;

/**
 * The key/value cache of a batch of sequences: per layer, keys and values [rows, kv_heads, length, head_dim], each
 * row's own past right-aligned and left-padded to {@code length} (the pads are masked by {@code attention_mask}).
 * Normally the model's own {@code present} outputs of the last run, fed back as the next run's past without a copy.
 * Closed exactly once by its owner; a closed cache must not be used.
 */
public interface KvCache extends AutoCloseable {

    int rows();

    /** Columns: the longest row's past, the others left-padded to it. */
    int length();

    /** Bytes held, padding included. */
    long bytes();

    /**
     * Rows {@code keep}, in that order, as a new cache of {@code length} columns: each row's last
     * {@code min(length, this.length())} columns, zeros to their left. One copy; this cache stays open.
     */
    KvCache select(int[] keep, int length);

    @Override
    void close();
}
