package dev.ember.runtime.onnx;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.ember.runtime.api.InferenceFailedException;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * {@link Decoder} over a {@link LoadedModel}: each run holds the model's session only while it runs (so unloading
 * never closes it underneath, and a CUDA failure falls back to the CPU as {@link LoadedModel#run} does); the
 * {@code present} outputs are kept open and become the next run's past without a copy.
 */
final class OnnxDecoder implements Decoder {

    private final LoadedModel model;
    private final DecoderLayout layout;
    private final Set<String> outputs = new LinkedHashSet<>();

    OnnxDecoder(LoadedModel model, DecoderLayout layout) {
        this.model = model;
        this.layout = layout;
        outputs.add(DecoderLayout.LOGITS);
        for (int l = 0; l < layout.layers(); l++) {
            outputs.add(DecoderLayout.present(l, "key"));
            outputs.add(DecoderLayout.present(l, "value"));
        }
    }

    @Override
    public DecoderLayout layout() {
        return layout;
    }

    @Override
    public KvCache empty(int rows) {
        return OnnxKvCache.empty(model.env(), layout, rows);
    }

    @Override
    public KvCache concat(List<KvCache> parts, int length) {
        List<OnnxKvCache> caches = new ArrayList<>();
        List<int[]> rows = new ArrayList<>();
        for (KvCache part : parts) {
            caches.add(own(part));
            int[] all = new int[part.rows()];
            for (int i = 0; i < all.length; i++) {
                all[i] = i;
            }
            rows.add(all);
        }
        return OnnxKvCache.repack(model.env(), layout, caches, rows, length);
    }

    @Override
    public DecoderOutput run(long[][] inputIds, long[][] attentionMask, long[][] positionIds, KvCache past) {
        OnnxKvCache cache = own(past);
        int rows = inputIds.length;
        if (rows == 0 || rows != cache.rows() || attentionMask.length != rows) {
            throw new IllegalArgumentException("input_ids, attention_mask and the cache must have the same rows");
        }
        int seq = inputIds[0].length;
        if (seq == 0) {
            throw new IllegalArgumentException("a run needs at least one token per row");
        }
        if (layout.positionIds() && (positionIds == null || positionIds.length != rows)) {
            throw new IllegalArgumentException("the model takes position_ids: one row per input row");
        }
        Map<String, OnnxTensor> feeds = new HashMap<>();
        try {
            feeds.put(DecoderLayout.INPUT_IDS, ids(inputIds, seq, "input_ids"));
            feeds.put(DecoderLayout.ATTENTION_MASK, ids(attentionMask, cache.length() + seq, "attention_mask"));
            if (layout.positionIds()) {
                feeds.put(DecoderLayout.POSITION_IDS, ids(positionIds, seq, "position_ids"));
            }
            Map<String, OnnxTensor> all = new HashMap<>(feeds);
            for (int l = 0; l < layout.layers(); l++) {
                all.put(DecoderLayout.past(l, "key"), cache.tensor(2 * l));
                all.put(DecoderLayout.past(l, "value"), cache.tensor(2 * l + 1));
            }
            OrtSession.Result result = model.withSession(s -> s.run(all, outputs));
            return take(result, rows, seq);
        } catch (OrtException e) {
            throw new InferenceFailedException("model " + model.id() + ": its inputs could not be made into tensors: "
                    + "ONNX Runtime error " + e.getCode(), e);
        } finally {
            // the caller's past is not ours to close; only the tensors made here
            feeds.values().forEach(OnnxTensor::close);
        }
    }

    /** The last position's logits of each row, and the presents as the next cache; the rest is closed at once. */
    private DecoderOutput take(OrtSession.Result result, int rows, int seq) {
        OnnxTensor[] present = new OnnxTensor[2 * layout.layers()];
        boolean kept = false;
        try {
            OnnxTensor logits = (OnnxTensor) result.get(DecoderLayout.LOGITS).orElseThrow();
            long[] shape = logits.getInfo().getShape();
            int vocab = (int) shape[2];
            float[][] last = new float[rows][vocab];
            // one transient copy of [rows, seq, vocab]; only [rows, vocab] is kept
            FloatBuffer all = logits.getFloatBuffer();
            for (int r = 0; r < rows; r++) {
                all.get(((r * seq) + seq - 1) * vocab, last[r]);
            }
            int length = -1;
            for (int l = 0; l < layout.layers(); l++) {
                present[2 * l] = (OnnxTensor) result.get(DecoderLayout.present(l, "key")).orElseThrow();
                present[2 * l + 1] = (OnnxTensor) result.get(DecoderLayout.present(l, "value")).orElseThrow();
                length = (int) present[2 * l].getInfo().getShape()[2];
            }
            KvCache next = new OnnxKvCache(model.env(), layout, rows, length, present);
            kept = true;
            // every value but the presents
            for (Map.Entry<String, OnnxValue> e : result) {
                if (!e.getKey().startsWith("present.")) {
                    e.getValue().close();
                }
            }
            return new DecoderOutput(last, next);
        } finally {
            if (!kept) {
                result.close();
            }
        }
    }

    private OnnxTensor ids(long[][] values, int columns, String name) throws OrtException {
        LongBuffer buffer = ByteBuffer.allocateDirect(values.length * columns * Long.BYTES)
                .order(ByteOrder.nativeOrder()).asLongBuffer();
        for (long[] row : values) {
            if (row.length != columns) {
                throw new IllegalArgumentException(name + " rows must each have " + columns + " columns");
            }
            buffer.put(row);
        }
        buffer.rewind();
        return OnnxTensor.createTensor(model.env(), buffer, new long[] {values.length, columns});
    }

    private static OnnxKvCache own(KvCache cache) {
        if (cache instanceof OnnxKvCache c) {
            return c;
        }
        throw new IllegalArgumentException("not a cache of this decoder");
    }
}
