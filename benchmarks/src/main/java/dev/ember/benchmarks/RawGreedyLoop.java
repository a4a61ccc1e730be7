package dev.ember.benchmarks;

import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.OrtSession.SessionOptions;
import ai.onnxruntime.TensorInfo;
import com.fasterxml.jackson.databind.JsonNode;
import dev.ember.runtime.onnx.OnnxEnvironment;
import dev.ember.runtime.onnx.ThreadBudget;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.Set;

/**
 * The raw baseline of the generation scenario: a greedy loop on an Optimum-layout decoder ({@code model.onnx}
 * with {@code past_key_values.{l}.key|value} in, {@code logits} and {@code present.{l}.key|value} out) straight on
 * ONNX Runtime, as a user would write it: one prompt pass over an empty past, then one run per new token with the
 * previous run's {@code present} tensors fed back as the past (no copy through the Java heap), argmax of the last
 * position's logits. Session options as Ember's defaults: intra-op threads as Ember's {@link ThreadBudget} gives a generator
 * on this machine's CPUs, one inter-op thread, sequential, all graph optimisations, spinning off (an experiment's
 * thread and spinning options apply to both).
 */
final class RawGreedyLoop implements AutoCloseable {

    /** One greedy generation: the tokens, when the first came and when the last came (nanoTime). */
    record Run(long[] tokens, long startNanos, long firstNanos, long endNanos) {

        /** Tokens per second from the start of the prompt pass to the last token (as a stream is measured). */
        double tokensPerSecond() {
            return tokens.length / ((endNanos - startNanos) / 1e9);
        }

        /** The prompt pass alone, which yields the first token, in milliseconds. */
        double firstTokenMillis() {
            return (firstNanos - startNanos) / 1e6;
        }

        /** Tokens after the first per second of the decode steps. */
        double decodeTokensPerSecond() {
            return (tokens.length - 1) / ((endNanos - firstNanos) / 1e9);
        }
    }

    private final OrtEnvironment env = OnnxEnvironment.get();
    private final OrtSession session;
    private final int layers;
    private final int kvHeads;
    private final int headDim;
    private final boolean positionIds;
    private final int intraOpThreads;
    private final Set<String> outputs = new LinkedHashSet<>();

    /** A session on {@code modelDir}'s model with Ember's defaults, changed as {@code ember} (-D options) changes Ember's. */
    RawGreedyLoop(Path modelDir, Map<String, String> ember) throws OrtException, IOException {
        this.intraOpThreads = emberIntraOpThreads(ember);
        String spin = Boolean.parseBoolean(ember.getOrDefault("ember.onnx.allow-spinning", "false")) ? "1" : "0";
        try (SessionOptions options = new SessionOptions()) {
            options.setIntraOpNumThreads(intraOpThreads);
            options.addConfigEntry("session.intra_op.allow_spinning", spin);
            options.addConfigEntry("session.inter_op.allow_spinning", spin);
            options.setInterOpNumThreads(1);
            options.setExecutionMode(SessionOptions.ExecutionMode.SEQUENTIAL);
            options.setOptimizationLevel(SessionOptions.OptLevel.ALL_OPT);
            this.session = env.createSession(modelDir.resolve("model.onnx").toString(), options);
        }
        Map<String, NodeInfo> inputs = session.getInputInfo();
        int l = 0;
        while (inputs.containsKey(past(l, "key"))) {
            l++;
        }
        if (l == 0) {
            throw new IllegalArgumentException(modelDir + " is not a decoder with past_key_values inputs");
        }
        this.layers = l;
        this.positionIds = inputs.containsKey("position_ids");
        long[] shape = ((TensorInfo) inputs.get(past(0, "key")).getInfo()).getShape();
        JsonNode config = Harness.JSON.readTree(modelDir.resolve("config.json").toFile());
        this.kvHeads = shape[1] > 0 ? (int) shape[1] : kvHeadsOf(config);
        this.headDim = shape[3] > 0 ? (int) shape[3] : hiddenOf(config) / headsOf(config);
        outputs.add("logits");
        for (int i = 0; i < layers; i++) {
            outputs.add(present(i, "key"));
            outputs.add(present(i, "value"));
        }
    }

    /**
     * The intra-op threads Ember gives the generator's session on this machine: its {@link ThreadBudget} from the
     * CPUs and whatever of {@code ember.functions.gpt2.concurrency} and {@code ember.onnx.intra-op-threads} is set.
     */
    static int emberIntraOpThreads(Map<String, String> ember) {
        // what Ember gives a generator's session: every CPU unless ember.onnx.intra-op-threads is set
        return ThreadBudget.ofGenerator(Runtime.getRuntime().availableProcessors(),
                optionalInt(ember.get("ember.onnx.intra-op-threads"))).intraOpThreads();
    }

    private static OptionalInt optionalInt(String value) {
        return value == null ? OptionalInt.empty() : OptionalInt.of(Integer.parseInt(value.strip()));
    }

    int intraOpThreads() {
        return intraOpThreads;
    }

    int layers() {
        return layers;
    }

    /** {@code newTokens} greedy tokens after {@code prompt}; stops early only at {@code eos} (never when it is -1). */
    Run generate(long[] prompt, int newTokens, long eos) throws OrtException {
        long start = System.nanoTime();
        long first = 0;
        List<Long> tokens = new ArrayList<>(newTokens);
        OrtSession.Result previous = null;
        List<OnnxTensor> emptyPast = new ArrayList<>();
        try {
            for (int i = 0; i < layers * 2; i++) {
                emptyPast.add(OnnxTensor.createTensor(env, FloatBuffer.allocate(0), new long[] {1, kvHeads, 0, headDim}));
            }
            long[] ids = prompt;
            int pastLength = 0;
            while (tokens.size() < newTokens) {
                int seq = ids.length;
                long[] mask = new long[pastLength + seq];
                java.util.Arrays.fill(mask, 1);
                long[] positions = new long[seq];
                for (int i = 0; i < seq; i++) {
                    positions[i] = pastLength + i;
                }
                OrtSession.Result result;
                try (OnnxTensor idsTensor = tensor(ids, seq);
                     OnnxTensor maskTensor = tensor(mask, mask.length);
                     OnnxTensor positionTensor = positionIds ? tensor(positions, seq) : null) {
                    OrtSession.Result last = previous;
                    result = session.run(feed(idsTensor, maskTensor, positionTensor, last == null ? emptyPast::get
                            : n -> present(last, n / 2, n % 2 == 0 ? "key" : "value")), outputs);
                }
                if (previous != null) {
                    previous.close();
                }
                previous = result;
                long next = argmaxLast((OnnxTensor) result.get("logits").orElseThrow());
                tokens.add(next);
                if (first == 0) {
                    first = System.nanoTime();
                }
                if (next == eos) {
                    break;
                }
                pastLength += seq;
                ids = new long[] {next};
            }
        } finally {
            if (previous != null) {
                previous.close();
            }
            emptyPast.forEach(OnnxTensor::close);
        }
        long end = System.nanoTime();
        return new Run(tokens.stream().mapToLong(Long::longValue).toArray(), start, first, end);
    }

    /**
     * Median milliseconds of one decode step of {@code rows} rows over a past of {@code past} columns (zeros: the
     * cost does not depend on the values), {@code repeats} runs after one warm-up: what the model itself costs per
     * step at that batch size, without any scheduler around it.
     */
    double stepMillis(int rows, int past, int repeats) throws OrtException {
        List<OnnxTensor> pasts = new ArrayList<>();
        try {
            for (int i = 0; i < layers * 2; i++) {
                FloatBuffer zeros = ByteBuffer.allocateDirect(rows * kvHeads * past * headDim * Float.BYTES)
                        .order(ByteOrder.nativeOrder()).asFloatBuffer();
                pasts.add(OnnxTensor.createTensor(env, zeros, new long[] {rows, kvHeads, past, headDim}));
            }
            long[] ids = new long[rows];
            long[] mask = new long[rows * (past + 1)];
            java.util.Arrays.fill(mask, 1);
            long[] positions = new long[rows];
            java.util.Arrays.fill(positions, past);
            List<Double> times = new ArrayList<>();
            for (int r = 0; r <= repeats; r++) {
                try (OnnxTensor idsTensor = tensor(ids, rows, 1);
                     OnnxTensor maskTensor = tensor(mask, rows, past + 1);
                     OnnxTensor positionTensor = positionIds ? tensor(positions, rows, 1) : null) {
                    Map<String, OnnxTensor> feed = feed(idsTensor, maskTensor, positionTensor, pasts::get);
                    long start = System.nanoTime();
                    try (OrtSession.Result result = session.run(feed, outputs)) {
                        argmaxLast((OnnxTensor) result.get("logits").orElseThrow());
                    }
                    if (r > 0) {
                        times.add((System.nanoTime() - start) / 1e6);
                    }
                }
            }
            return new Samples(times).median();
        } finally {
            pasts.forEach(OnnxTensor::close);
        }
    }

    /** The inputs of one run; {@code past} gives past tensor n = 2 x layer (key) or 2 x layer + 1 (value). */
    private Map<String, OnnxTensor> feed(OnnxTensor ids, OnnxTensor mask, OnnxTensor positions,
            java.util.function.IntFunction<OnnxTensor> past) {
        Map<String, OnnxTensor> feed = new HashMap<>();
        feed.put("input_ids", ids);
        feed.put("attention_mask", mask);
        if (positionIds) {
            feed.put("position_ids", positions);
        }
        for (int i = 0; i < layers; i++) {
            feed.put(past(i, "key"), past.apply(2 * i));
            feed.put(past(i, "value"), past.apply(2 * i + 1));
        }
        return feed;
    }

    private static OnnxTensor present(OrtSession.Result result, int layer, String kind) {
        OnnxValue value = result.get(present(layer, kind)).orElseThrow();
        return (OnnxTensor) value;
    }

    /** The argmax of the last position's row of logits [1, seq, vocab] (or [1, vocab]). */
    static long argmaxLast(OnnxTensor logits) {
        long[] shape = logits.getInfo().getShape();
        int vocab = (int) shape[shape.length - 1];
        FloatBuffer values = logits.getFloatBuffer();
        int offset = values.limit() - vocab;
        int best = 0;
        float max = Float.NEGATIVE_INFINITY;
        for (int v = 0; v < vocab; v++) {
            float x = values.get(offset + v);
            if (x > max) {
                max = x;
                best = v;
            }
        }
        return best;
    }

    private OnnxTensor tensor(long[] values, int columns) throws OrtException {
        return tensor(values, 1, columns);
    }

    private OnnxTensor tensor(long[] values, int rows, int columns) throws OrtException {
        LongBuffer b = ByteBuffer.allocateDirect(values.length * Long.BYTES).order(ByteOrder.nativeOrder())
                .asLongBuffer();
        b.put(values).rewind();
        return OnnxTensor.createTensor(env, b, new long[] {rows, columns});
    }

    private static String past(int layer, String kind) {
        return "past_key_values." + layer + "." + kind;
    }

    private static String present(int layer, String kind) {
        return "present." + layer + "." + kind;
    }

    private static int headsOf(JsonNode config) {
        return firstInt(config, "num_attention_heads", "n_head");
    }

    private static int kvHeadsOf(JsonNode config) {
        return config.has("num_key_value_heads") ? config.get("num_key_value_heads").asInt() : headsOf(config);
    }

    private static int hiddenOf(JsonNode config) {
        return firstInt(config, "hidden_size", "n_embd");
    }

    private static int firstInt(JsonNode config, String... names) {
        for (String name : names) {
            if (config.has(name)) {
                return config.get(name).asInt();
            }
        }
        throw new IllegalArgumentException("config.json has none of " + String.join(", ", names));
    }

    @Override
    public void close() throws OrtException {
        session.close();
    }
}
