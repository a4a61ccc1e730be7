package dev.ember.runtime.onnx;

import dev.ember.runtime.api.DataType;
import dev.ember.runtime.api.ModelSignature;
import dev.ember.runtime.api.TensorSpec;

import java.util.List;
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
        if (!ids(signature.input(INPUT_IDS)) || !ids(signature.input(ATTENTION_MASK))) {
            return Optional.empty();
        }
        Optional<TensorSpec> positions = signature.input(POSITION_IDS);
        if (positions.isPresent() && !ids(positions)) {
            return Optional.empty();
        }
        Optional<TensorSpec> logits = signature.output(LOGITS);
        if (logits.isEmpty() || logits.get().datatype() != DataType.FP32 || logits.get().shape().length != 3) {
            return Optional.empty();
        }
        int layers = 0;
        while (signature.input(past(layers, "key")).isPresent()) {
            layers++;
        }
        if (layers == 0) {
            return Optional.empty();
        }
        long kvHeads = -1;
        long headDim = -1;
        for (int l = 0; l < layers; l++) {
            for (String kind : new String[] {"key", "value"}) {
                for (Optional<TensorSpec> t : List.of(signature.input(past(l, kind)), signature.output(present(l, kind)))) {
                    if (t.isEmpty() || t.get().datatype() != DataType.FP32 || t.get().shape().length != 4) {
                        return Optional.empty();
                    }
                    long[] shape = t.get().shape();
                    if (kvHeads == -1) {
                        kvHeads = shape[1];
                        headDim = shape[3];
                    }
                    // the cache is allocated from these, so they must be declared, and alike in every layer
                    if (shape[1] <= 0 || shape[3] <= 0 || shape[1] != kvHeads || shape[3] != headDim) {
                        return Optional.empty();
                    }
                }
            }
        }
        // any other input would have to be fed, and Ember would not know with what
        if (signature.inputs().size() != 2 + (positions.isPresent() ? 1 : 0) + 2 * layers) {
            return Optional.empty();
        }
        long vocab = logits.get().shape()[2];
        return Optional.of(new DecoderLayout(layers, (int) kvHeads, (int) headDim, vocab > 0 ? (int) vocab : -1,
                positions.isPresent()));
    }

    static final String INPUT_IDS = "input_ids";
    static final String ATTENTION_MASK = "attention_mask";
    static final String POSITION_IDS = "position_ids";
    static final String LOGITS = "logits";

    static String past(int layer, String kind) {
        return "past_key_values." + layer + "." + kind;
    }

    static String present(int layer, String kind) {
        return "present." + layer + "." + kind;
    }

    private static boolean ids(Optional<TensorSpec> spec) {
        return spec.isPresent() && spec.get().datatype() == DataType.INT64 && spec.get().shape().length == 2;
    }

    /** Bytes one token of one sequence holds in the cache: keys and values of every layer, fp32. */
    public long bytesPerToken() {
        return 2L * layers * kvHeads * headDim * Float.BYTES;
    }
}
