package dev.ember.runtime.onnx;

/**
 * What one decoder run gives back: the next-token logits of each row (the logits at the row's last position) and
 * the cache to feed to the next run, owned by the caller.
 */
public record DecoderOutput(float[][] logits, KvCache present) {
}
