package dev.ember.runtime.onnx;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import dev.ember.runtime.api.InferenceFailedException;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A cache whose per-layer tensors are either a run's own {@code present} outputs (fed back as they are) or tensors
 * over direct buffers that a re-pack filled. Tensors are ordered layer by layer, key then value.
 */
final class OnnxKvCache implements KvCache {

    private final OrtEnvironment env;
    private final DecoderLayout layout;
    private final int rows;
    private final int length;
    private final OnnxTensor[] tensors;
    // the direct buffers under the tensors when a re-pack made them; null for a run's outputs
    private final FloatBuffer[] buffers;
    private final AtomicBoolean closed = new AtomicBoolean();

    OnnxKvCache(OrtEnvironment env, DecoderLayout layout, int rows, int length, OnnxTensor[] tensors) {
        this(env, layout, rows, length, tensors, null);
    }

    private OnnxKvCache(OrtEnvironment env, DecoderLayout layout, int rows, int length, OnnxTensor[] tensors,
            FloatBuffer[] buffers) {
        this.buffers = buffers;
        this.env = env;
        this.layout = layout;
        this.rows = rows;
        this.length = length;
        this.tensors = tensors;
    }

    /** {@code rows} rows of no columns: every tensor over one empty direct buffer. */
    static OnnxKvCache empty(OrtEnvironment env, DecoderLayout layout, int rows) {
        return fill(env, layout, rows, 0, (tensor, dst) -> { });
    }

    /** One copy of rows of {@code sources} (cache, row) into a new cache of {@code length} columns. */
    static OnnxKvCache repack(OrtEnvironment env, DecoderLayout layout, List<OnnxKvCache> caches, List<int[]> rows,
            int length) {
        int n = 0;
        for (int[] r : rows) {
            n += r.length;
        }
        for (OnnxKvCache c : caches) {
            c.checkOpen();
        }
        int heads = layout.kvHeads();
        int dim = layout.headDim();
        return fill(env, layout, n, length, (tensor, dst) -> {
            int out = 0;
            for (int c = 0; c < caches.size(); c++) {
                OnnxKvCache src = caches.get(c);
                FloatBuffer from = src.read(tensor);
                int keep = Math.min(length, src.length);
                for (int row : rows.get(c)) {
                    if (row < 0 || row >= src.rows) {
                        throw new IllegalArgumentException("row " + row + " of a cache of " + src.rows + " rows");
                    }
                    for (int h = 0; h < heads; h++) {
                        // this row's last `keep` columns, right-aligned; the direct buffer starts zeroed
                        int srcAt = ((row * heads + h) * src.length + (src.length - keep)) * dim;
                        int dstAt = ((out * heads + h) * length + (length - keep)) * dim;
                        dst.put(dstAt, from, srcAt, keep * dim);
                    }
                    out++;
                }
            }
        });
    }

    /** Writes layer tensor {@code tensor}'s values into {@code dst}, a zeroed [rows, kv_heads, length, head_dim]. */
    @FunctionalInterface
    private interface Filler {
        void fill(int tensor, FloatBuffer dst);
    }

    private static OnnxKvCache fill(OrtEnvironment env, DecoderLayout layout, int rows, int length, Filler filler) {
        long[] shape = {rows, layout.kvHeads(), length, layout.headDim()};
        long elements = (long) rows * layout.kvHeads() * length * layout.headDim();
        if (elements * Float.BYTES > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("a cache tensor of " + elements + " elements exceeds 2 GiB");
        }
        OnnxTensor[] tensors = new OnnxTensor[2 * layout.layers()];
        FloatBuffer[] buffers = new FloatBuffer[tensors.length];
        try {
            for (int t = 0; t < tensors.length; t++) {
                FloatBuffer buffer = ByteBuffer.allocateDirect((int) elements * Float.BYTES)
                        .order(ByteOrder.nativeOrder()).asFloatBuffer();
                filler.fill(t, buffer);
                buffers[t] = buffer;
                tensors[t] = OnnxTensor.createTensor(env, buffer, shape);
            }
        } catch (OrtException e) {
            closeAll(tensors);
            throw new InferenceFailedException("could not allocate a KV cache: ONNX Runtime error " + e.getCode(), e);
        } catch (RuntimeException e) {
            closeAll(tensors);
            throw e;
        }
        return new OnnxKvCache(env, layout, rows, length, tensors, buffers);
    }

    /** The values of one tensor: the direct buffer itself when a re-pack made it, else a copy of the run's output. */
    private FloatBuffer read(int tensor) {
        // getBufferRef cannot tell: it fails on a run's outputs in 1.29
        return buffers != null ? buffers[tensor].duplicate() : tensors[tensor].getFloatBuffer();
    }

    OnnxTensor tensor(int index) {
        checkOpen();
        return tensors[index];
    }

    @Override
    public int rows() {
        return rows;
    }

    @Override
    public int length() {
        return length;
    }

    @Override
    public long bytes() {
        return (long) rows * length * layout.bytesPerToken();
    }

    @Override
    public KvCache select(int[] keep, int length) {
        List<OnnxKvCache> self = new ArrayList<>();
        self.add(this);
        List<int[]> rows = new ArrayList<>();
        rows.add(keep.clone());
        return repack(env, layout, self, rows, length);
    }

    private void checkOpen() {
        if (closed.get()) {
            throw new IllegalStateException("the KV cache is closed");
        }
    }

    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            closeAll(tensors);
        }
    }

    private static void closeAll(OnnxTensor[] tensors) {
        for (OnnxTensor t : tensors) {
            if (t != null) {
                t.close();
            }
        }
    }
}
