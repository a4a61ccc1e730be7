package dev.ember.runtime.generate;

import dev.ember.runtime.api.InferenceFailedException;
import dev.ember.runtime.onnx.Decoder;
import dev.ember.runtime.onnx.DecoderLayout;
import dev.ember.runtime.onnx.DecoderOutput;
import dev.ember.runtime.onnx.KvCache;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntPredicate;

/**
 * A decoder whose cache records each row's tokens, so it can check every run the way a real model would depend on
 * it: left padding masked exactly, true positions, no row mixed up with another. Its logits are a function of the
 * row's whole history (as a real model's are), so any corruption of a row changes its output. Each violation is
 * recorded; a test asserts there were none.
 */
final class FakeDecoder implements Decoder {

    static final int VOCAB = 300;
    /** End of sequence: ids 0-255 are bytes, 256 is EOS, the rest are special tokens with no text. */
    static final int EOS = 256;
    private static final long PAD = -1;

    final DecoderLayout layout = new DecoderLayout(1, 1, 2, VOCAB, true);
    final List<String> violations = Collections.synchronizedList(new ArrayList<>());
    /** Rows and sequence length of every run, in order. */
    final List<int[]> runs = Collections.synchronizedList(new ArrayList<>());
    final AtomicInteger openCaches = new AtomicInteger();
    /** Completed by the first run once it starts; the run then waits for {@link #gate}. */
    final CompletableFuture<Void> entered = new CompletableFuture<>();
    final CompletableFuture<Void> gate = new CompletableFuture<>();
    /** Runs (by their index, from 0) that fail as a broken model does. */
    volatile IntPredicate failing = i -> false;
    private final AtomicInteger runIndex = new AtomicInteger();

    FakeDecoder() {
        gate.complete(null);
    }

    /** A decoder whose first run waits until the test completes {@code gate}. */
    static FakeDecoder gated() {
        return new FakeDecoder(true);
    }

    private FakeDecoder(boolean gated) {
    }

    @Override
    public DecoderLayout layout() {
        return layout;
    }

    @Override
    public KvCache empty(int rows) {
        return new Cache(new long[rows][0]);
    }

    @Override
    public KvCache concat(List<KvCache> parts, int length) {
        List<long[]> rows = new ArrayList<>();
        for (KvCache part : parts) {
            Cache c = open(part, "concat");
            for (long[] row : c.cells) {
                rows.add(align(row, length));
            }
        }
        return new Cache(rows.toArray(long[][]::new));
    }

    @Override
    public DecoderOutput run(long[][] inputIds, long[][] attentionMask, long[][] positionIds, KvCache past) {
        entered.complete(null);
        gate.join();
        int index = runIndex.getAndIncrement();
        Cache cache = open(past, "run");
        int rows = inputIds.length;
        int seq = inputIds[0].length;
        runs.add(new int[] {rows, seq});
        if (failing.test(index)) {
            throw new InferenceFailedException("model m failed: a broken run", null);
        }
        if (cache.cells.length != rows || attentionMask.length != rows || positionIds.length != rows) {
            violations.add("run " + index + ": " + rows + " rows of input for a past of " + cache.cells.length);
            throw new IllegalStateException("rows");
        }
        int length = cache.length();
        long[][] present = new long[rows][];
        float[][] logits = new float[rows][];
        for (int r = 0; r < rows; r++) {
            long[] row = cache.cells[r];
            int real = 0;
            boolean seenReal = false;
            if (attentionMask[r].length != length + seq) {
                violations.add("run " + index + " row " + r + ": mask of " + attentionMask[r].length + " for "
                        + (length + seq));
                continue;
            }
            for (int c = 0; c < length; c++) {
                boolean isReal = row[c] != PAD;
                if (seenReal && !isReal) {
                    violations.add("run " + index + " row " + r + ": padding after tokens at column " + c);
                }
                seenReal |= isReal;
                real += isReal ? 1 : 0;
                if (attentionMask[r][c] != (isReal ? 1 : 0)) {
                    violations.add("run " + index + " row " + r + ": mask " + attentionMask[r][c] + " over a "
                            + (isReal ? "token" : "pad") + " at column " + c);
                }
            }
            for (int j = 0; j < seq; j++) {
                if (attentionMask[r][length + j] != 1) {
                    violations.add("run " + index + " row " + r + ": new token " + j + " masked");
                }
                if (positionIds[r][j] != real + j) {
                    violations.add("run " + index + " row " + r + ": position " + positionIds[r][j] + " for true"
                            + " position " + (real + j));
                }
            }
            present[r] = Arrays.copyOf(row, length + seq);
            System.arraycopy(inputIds[r], 0, present[r], length, seq);
            logits[r] = logits(Arrays.stream(present[r]).filter(t -> t != PAD).toArray());
        }
        return new DecoderOutput(logits, new Cache(present));
    }

    /** The logits after {@code history}: pseudo-random per history, EOS ever likelier as the sequence grows. */
    static float[] logits(long[] history) {
        long h = 0x9E3779B97F4A7C15L;
        for (long t : history) {
            h = mix(h ^ (t + 0x632BE59BD9B4E019L));
        }
        float[] logits = new float[VOCAB];
        for (int i = 0; i < VOCAB; i++) {
            logits[i] = (float) ((mix(h + i * 0xBF58476D1CE4E5B9L) >>> 11) * 0x1.0p-53 * 4.0);
        }
        // specials other than EOS never win; EOS wins sooner or later (around 20 to 60 tokens)
        for (int i = EOS + 1; i < VOCAB; i++) {
            logits[i] -= 10;
        }
        logits[EOS] += (float) (history.length * 0.05 - 1.5);
        return logits;
    }

    /** What a batch-free greedy loop generates after {@code prompt}: the reference. */
    static List<Long> reference(long[] prompt, int maxTokens, int maxPositions) {
        List<Long> history = new ArrayList<>();
        for (long t : prompt) {
            history.add(t);
        }
        List<Long> out = new ArrayList<>();
        while (true) {
            long t = Sampler.argmax(logits(history.stream().mapToLong(Long::longValue).toArray()));
            out.add(t);
            history.add(t);
            if (t == EOS || out.size() >= maxTokens || history.size() >= maxPositions) {
                return out;
            }
        }
    }

    private static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    private static long[] align(long[] row, int length) {
        long[] out = new long[length];
        Arrays.fill(out, PAD);
        int n = Math.min(length, row.length);
        System.arraycopy(row, row.length - n, out, length - n, n);
        for (int c = 0; c < row.length - n; c++) {
            if (row[c] != PAD) {
                throw new IllegalStateException("cut a token off a row");
            }
        }
        return out;
    }

    private Cache open(KvCache cache, String where) {
        Cache c = (Cache) cache;
        if (c.closed) {
            violations.add(where + " on a closed cache");
        }
        return c;
    }

    /** The text codec of this vocabulary: ids 0-255 are UTF-8 bytes. */
    static final TokenCodec BYTES = new TokenCodec() {
        @Override
        public long[] encode(String text, boolean special) {
            byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
            long[] ids = new long[bytes.length];
            for (int i = 0; i < bytes.length; i++) {
                ids[i] = bytes[i] & 0xff;
            }
            return ids;
        }

        @Override
        public String decode(long[] ids) {
            byte[] bytes = new byte[ids.length];
            int n = 0;
            for (long id : ids) {
                if (id >= 0 && id < 256) {
                    bytes[n++] = (byte) id;
                }
            }
            return new String(bytes, 0, n, StandardCharsets.UTF_8);
        }
    };

    final class Cache implements KvCache {
        final long[][] cells;
        volatile boolean closed;

        Cache(long[][] cells) {
            this.cells = cells;
            openCaches.incrementAndGet();
        }

        @Override
        public int rows() {
            return cells.length;
        }

        @Override
        public int length() {
            return cells.length == 0 ? 0 : cells[0].length;
        }

        @Override
        public long bytes() {
            return (long) rows() * length() * layout.bytesPerToken();
        }

        @Override
        public KvCache select(int[] keep, int length) {
            open(this, "select");
            long[][] rows = new long[keep.length][];
            for (int i = 0; i < keep.length; i++) {
                rows[i] = align(cells[keep[i]], length);
            }
            return new Cache(rows);
        }

        @Override
        public void close() {
            if (closed) {
                violations.add("a cache closed twice");
                return;
            }
            closed = true;
            openCaches.decrementAndGet();
        }
    }
}
