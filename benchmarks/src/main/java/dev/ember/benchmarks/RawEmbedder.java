package dev.ember.benchmarks;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.OrtSession.SessionOptions;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The raw ONNX Runtime baseline: all-MiniLM-L6-v2 from the same model artifact Ember serves, tokenized once by the
 * same tokenizer file with the same settings, run through {@link OrtSession#run} on direct buffers and mean-pooled
 * under the attention mask; the session options mirror Ember's defaults (intra-op threads = CPUs unless an
 * experiment sets {@code ember.onnx.intra-op-threads}, one inter-op thread, sequential execution, all graph
 * optimisations).
 */
final class RawEmbedder implements AutoCloseable {

    static final String MODEL_RESOURCE = "all-minilm-l6-v2.onnx";
    static final String TOKENIZER_RESOURCE = "all-minilm-l6-v2-tokenizer.json";
    private static final String HIDDEN = "last_hidden_state";

    /** One text's tokens, as Ember's embed function produces them (no padding; truncated at 256). */
    record Tokens(long[] ids, long[] mask, long[] types) {
    }

    private final OrtEnvironment env = OrtEnvironment.getEnvironment();
    private final OrtSession session;
    private final boolean hasTypes;

    RawEmbedder(byte[] model, int threads) throws OrtException {
        try (SessionOptions options = options(threads)) {
            this.session = env.createSession(model, options);
        }
        this.hasTypes = session.getInputNames().contains("token_type_ids");
    }

    static SessionOptions options(int threads) throws OrtException {
        SessionOptions options = new SessionOptions();
        options.setIntraOpNumThreads(threads);
        options.setInterOpNumThreads(1);
        options.setExecutionMode(SessionOptions.ExecutionMode.SEQUENTIAL);
        options.setOptimizationLevel(SessionOptions.OptLevel.ALL_OPT);
        return options;
    }

    static byte[] modelBytes() {
        return resource(MODEL_RESOURCE);
    }

    static Tokens tokenize(String text) {
        return tokenize(List.of(text)).get(0);
    }

    /** Each text's tokens, from one tokenizer. */
    static List<Tokens> tokenize(List<String> texts) {
        try (InputStream in = RawEmbedder.class.getClassLoader().getResourceAsStream(TOKENIZER_RESOURCE);
             HuggingFaceTokenizer tokenizer = HuggingFaceTokenizer.newInstance(in, Map.of("padding", "false",
                     "truncation", "true", "maxLength", "256", "addSpecialTokens", "true"))) {
            List<Tokens> tokens = new ArrayList<>(texts.size());
            for (String text : texts) {
                Encoding e = tokenizer.encode(text);
                tokens.add(new Tokens(e.getIds(), e.getAttentionMask(), e.getTypeIds()));
            }
            return tokens;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Nanoseconds to create (and close) a session from {@code model}: the bare cost a cold start cannot avoid. */
    static long sessionCreationNanos(byte[] model, int threads) throws OrtException {
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (SessionOptions options = options(threads)) {
            long start = System.nanoTime();
            OrtSession session = env.createSession(model, options);
            long elapsed = System.nanoTime() - start;
            session.close();
            return elapsed;
        }
    }

    /** One embedding: tensors from direct buffers, {@code OrtSession.run}, mean pooling, L2 normalisation. */
    float[] embed(Tokens tokens) throws OrtException {
        long[] shape = {1, tokens.ids().length};
        try (OnnxTensor ids = OnnxTensor.createTensor(env, direct(tokens.ids()), shape);
             OnnxTensor mask = OnnxTensor.createTensor(env, direct(tokens.mask()), shape);
             OnnxTensor types = hasTypes ? OnnxTensor.createTensor(env, direct(tokens.types()), shape) : null) {
            Map<String, OnnxTensor> inputs = hasTypes
                    ? Map.of("input_ids", ids, "attention_mask", mask, "token_type_ids", types)
                    : Map.of("input_ids", ids, "attention_mask", mask);
            try (OrtSession.Result result = session.run(inputs, Set.of(HIDDEN))) {
                OnnxTensor hidden = (OnnxTensor) result.get(HIDDEN).orElseThrow();
                long[] dims = hidden.getInfo().getShape();
                return pool(hidden.getFloatBuffer(), tokens.mask(), (int) dims[1], (int) dims[2]);
            }
        }
    }

    private static float[] pool(FloatBuffer hidden, long[] mask, int positions, int dims) {
        double[] sum = new double[dims];
        int count = 0;
        for (int t = 0; t < positions; t++) {
            if (mask[t] == 0) {
                continue;
            }
            count++;
            for (int d = 0; d < dims; d++) {
                sum[d] += hidden.get(t * dims + d);
            }
        }
        double norm = 0;
        for (int d = 0; d < dims; d++) {
            sum[d] /= Math.max(count, 1);
            norm += sum[d] * sum[d];
        }
        norm = Math.max(Math.sqrt(norm), 1e-12);
        float[] v = new float[dims];
        for (int d = 0; d < dims; d++) {
            v[d] = (float) (sum[d] / norm);
        }
        return v;
    }

    private static LongBuffer direct(long[] values) {
        LongBuffer b = ByteBuffer.allocateDirect(values.length * Long.BYTES).order(ByteOrder.nativeOrder())
                .asLongBuffer();
        b.put(values).rewind();
        return b;
    }

    private static byte[] resource(String name) {
        try (InputStream in = RawEmbedder.class.getClassLoader().getResourceAsStream(name)) {
            if (in == null) {
                throw new IllegalStateException(name + " is not on the classpath (the langchain4j model artifact)");
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void close() throws OrtException {
        session.close();
    }
}
