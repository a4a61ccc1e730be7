package dev.ember.runtime.onnx;

import dev.ember.runtime.api.ModelSignature;

import java.util.Optional;

/**
 * What a decoder-only graph in Hugging Face Optimum's "with past" layout declares: inputs {@code input_ids},
 * {@code attention_mask}, optionally {@code position_ids}, and {@code past_key_values.{l}.key|value}
 * [batch, kv_heads, past, head_dim]; outputs {@code logits} and {@code present.{l}.key|value}.
 *
 * @param layers decoder layers (pairs of past/present tensors)
 * @param kvHeads key/value heads, fewer than the attention heads under grouped-query attention
 * @param headDim size of one head
 * @param vocabSize the last dimension of {@code logits}, when the graph declares it; else -1
 * @param positionIds whether the graph takes {@code position_ids}
 */
public record DecoderLayout(int layers, int kvHeads, int headDim, int vocabSize, boolean positionIds) {

    /** The layout when {@code signature} is such a decoder; empty for any other model. */
    public static Optional<DecoderLayout> of(ModelSignature signature) {
        throw new UnsupportedOperationException("contract: implemented in the decoder work");
    }

    /** Bytes one token of one sequence holds in the cache: keys and values of every layer, fp32. */
    public long bytesPerToken() {
        return 2L * layers * kvHeads * headDim * Float.BYTES;
    }
}
