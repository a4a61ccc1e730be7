package dev.ember.functions;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import com.fasterxml.jackson.databind.node.TextNode;
import dev.ember.runtime.api.EmbeddingRequest;
import dev.ember.runtime.api.EmbeddingResponse;
import dev.ember.runtime.api.InferenceFunction;
import dev.ember.runtime.api.ModelCall;
import dev.ember.runtime.api.ModelSignature;
import dev.ember.runtime.api.PayloadTooLargeException;
import dev.ember.runtime.api.Tensor;
import dev.ember.runtime.api.TensorSpec;
import dev.ember.runtime.config.EmberConfig;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * {@code embed}: L2-normalised sentence embeddings from all-MiniLM-L6-v2, mean-pooled under the attention mask,
 * tokenized by the Hugging Face tokenizer from the model's own {@code tokenizer.json}. Texts longer than
 * {@code ember.functions.embed.max-tokens} are truncated and their response item says so. A request whose texts
 * could take more than {@code ember.functions.embed.max-request-tokens} tokens in all is refused (413) before it is
 * tokenized.
 */
@ApplicationScoped
public class EmbedFunction implements InferenceFunction<EmbeddingRequest, EmbeddingResponse> {

    public static final String NAME = "embed";
    static final String IDS = "input_ids";
    static final String MASK = "attention_mask";
    static final String TYPES = "token_type_ids";

    private final HuggingFaceTokenizer tokenizer;
    private final int maxInputs;
    private final int maxTokens;
    private final long maxRequestTokens;

    EmbedFunction(EmbedConfig embed, EmberConfig config) {
        this.tokenizer = tokenizer(embed.tokenizer(), embed.maxTokens());
        this.maxTokens = embed.maxTokens();
        this.maxRequestTokens = embed.maxRequestTokens();
        this.maxInputs = config.limits().maxEmbeddingInputs();
    }

    static HuggingFaceTokenizer tokenizer(String resource, int maxTokens) {
        try (InputStream in = EmbedFunction.class.getClassLoader().getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException("tokenizer resource " + resource + " is not on the classpath");
            }
            // padding is ours (to the longest text of the batch), not the file's fixed 128
            return HuggingFaceTokenizer.newInstance(in, Map.of("padding", "false", "truncation", "true",
                    "maxLength", String.valueOf(maxTokens), "addSpecialTokens", "true"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public Class<EmbeddingRequest> requestType() {
        return EmbeddingRequest.class;
    }

    @Override
    public Map<String, Number> padValues() {
        return Map.of(IDS, 0, MASK, 0, TYPES, 0);
    }

    @Override
    public Optional<EmbeddingRequest> warmupRequest() {
        return Optional.of(new EmbeddingRequest(new TextNode("warm up"),
                NAME, null, null, null));
    }

    /**
     * Bytes one request holds, bounded before tokenizing: a WordPiece token covers at least one character, so a
     * text takes at most {@code min(max-tokens, length + 2)} tokens ([CLS] and [SEP]), and the request's rows are
     * padded to its longest. Per token, measured on all-MiniLM-L6-v2 (peak RSS of one run of [32, L] on 2 threads:
     * 1.9 KiB at L = 16, 9.4 at 64, 15.2 at 128, 26.3 at 256), ONNX Runtime's intermediates are about
     * {@code 2.5 x hidden x 4} bytes (hidden-size activations and the feed-forward layer) plus {@code 96 x L}
     * (the attention scores and softmax of 12 heads in fp32, two alive at once); the Java copy of
     * {@code last_hidden_state} ({@code hidden x 4}) and the tokenizer's encodings add about another
     * {@code 1.5 x hidden x 4}: so {@code 4 x hidden x 4 + 96 x L}, 30 KiB a token at L = 256. The JSON response
     * adds about 12 characters per float, times the buffer's growth. A batch padding this request to a longer
     * text of another is not counted: that is bounded by batch.max-size x max-tokens per running batch.
     */
    @Override
    public long workingSetBytes(EmbeddingRequest request, ModelSignature model) {
        List<String> texts = request.texts(maxInputs);
        TensorSpec hidden = model.output("last_hidden_state").orElse(model.outputs().get(0));
        long dimensions = Math.max(hidden.shape()[hidden.shape().length - 1], 1);
        long tokens = 0;
        long longest = 0;
        for (String text : texts) {
            long bound = Math.min(maxTokens, (long) text.length() + 2);
            tokens += bound;
            longest = Math.max(longest, bound);
        }
        if (tokens > maxRequestTokens) {
            throw new PayloadTooLargeException("the " + texts.size() + " texts may take up to " + tokens
                    + " tokens, more than the limit of " + maxRequestTokens + " (ember.functions.embed.max-request-tokens)");
        }
        return estimate(texts.size(), longest, dimensions);
    }

    /** Once tokenized: the same per-token cost for the real rows and padded length of the request. */
    @Override
    public long workingSetBytes(EmbeddingRequest request, ModelSignature model, ModelCall<EmbeddingResponse> call) {
        Tensor ids = call.inputs().get(IDS);
        TensorSpec hidden = model.output("last_hidden_state").orElse(model.outputs().get(0));
        return estimate(ids.dim(0), ids.dim(1), Math.max(hidden.shape()[hidden.shape().length - 1], 1));
    }

    static long estimate(long rows, long length, long dimensions) {
        long perToken = 4 * dimensions * Float.BYTES + 96 * length;
        long response = (long) (rows * dimensions * 12 * 2.5);
        return rows * length * perToken + response;
    }

    @Override
    public ModelCall<EmbeddingResponse> prepare(EmbeddingRequest request, ModelSignature model) {
        List<String> texts = request.texts(maxInputs);
        boolean base64 = request.base64();
        TensorSpec hidden = model.output("last_hidden_state").orElse(model.outputs().get(0));
        int dimensions = (int) hidden.shape()[hidden.shape().length - 1];
        request.requireDimensions(dimensions);

        Encoding[] encodings = tokenizer.batchEncode(texts);
        int rows = encodings.length;
        int length = 0;
        for (Encoding e : encodings) {
            length = Math.max(length, e.getIds().length);
        }
        long[] ids = new long[rows * length];
        long[] mask = new long[rows * length];
        long[] types = new long[rows * length];
        int[] lengths = new int[rows];
        List<Boolean> truncated = new ArrayList<>(rows);
        long tokens = 0;
        for (int r = 0; r < rows; r++) {
            Encoding e = encodings[r];
            long[] eIds = e.getIds();
            System.arraycopy(eIds, 0, ids, r * length, eIds.length);
            System.arraycopy(e.getAttentionMask(), 0, mask, r * length, eIds.length);
            System.arraycopy(e.getTypeIds(), 0, types, r * length, eIds.length);
            lengths[r] = eIds.length;
            tokens += eIds.length;
            truncated.add(e.exceedMaxLength());
        }
        long[] shape = {rows, length};
        Map<String, Tensor> inputs = new HashMap<>();
        inputs.put(IDS, Tensor.ofLongs(shape, ids));
        inputs.put(MASK, Tensor.ofLongs(shape, mask));
        if (model.input(TYPES).isPresent()) {
            inputs.put(TYPES, Tensor.ofLongs(shape, types));
        }
        long totalTokens = tokens;
        int width = length;
        return new ModelCall<>(inputs, Set.of(hidden.name()), outputs -> EmbeddingResponse.of(NAME,
                pool(outputs.get(hidden.name()), mask, width, lengths), truncated, base64, totalTokens));
    }

    /**
     * Mean of the token vectors under the attention mask, L2-normalised. The output may be padded beyond this
     * request's own length when it shared a batch with longer texts; those positions are outside every mask here.
     */
    static List<float[]> pool(Tensor hidden, long[] mask, int length, int[] lengths) {
        int rows = (int) hidden.dim(0);
        int positions = (int) hidden.dim(1);
        int dims = (int) hidden.dim(2);
        FloatBuffer h = hidden.floats();
        List<float[]> vectors = new ArrayList<>(rows);
        for (int r = 0; r < rows; r++) {
            double[] sum = new double[dims];
            int count = 0;
            for (int t = 0; t < lengths[r]; t++) {
                if (mask[r * length + t] == 0) {
                    continue;
                }
                count++;
                int base = (r * positions + t) * dims;
                for (int d = 0; d < dims; d++) {
                    sum[d] += h.get(base + d);
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
            vectors.add(v);
        }
        return vectors;
    }

    @PreDestroy
    void close() {
        tokenizer.close();
    }
}
