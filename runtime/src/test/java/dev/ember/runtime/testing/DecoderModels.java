package dev.ember.runtime.testing;

import static dev.ember.runtime.testing.OnnxModelWriter.ElementType.FLOAT;
import static dev.ember.runtime.testing.OnnxModelWriter.ElementType.INT64;

import dev.ember.runtime.testing.OnnxModelWriter.Attribute;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Writes a decoder-only model directory in Hugging Face Optimum's "with past" layout, with seeded random weights:
 * {@code model.onnx}, {@code config.json}, {@code generation_config.json}, {@code tokenizer.json} (byte-level BPE)
 * and {@code tokenizer_config.json} (a ChatML chat template).
 *
 * <p>The graph is GPT-2 shaped: token embedding plus learned positions, pre-LayerNorm blocks of causal self-attention
 * (grouped-query when {@code kvHeads < heads}: each K/V head serves {@code heads / kvHeads} query heads, repeated in
 * the graph as Hugging Face's {@code repeat_kv} does) and an erf-GELU MLP, a final LayerNorm and an untied LM head.
 * Inputs: {@code input_ids} int64 [batch_size, sequence_length], {@code attention_mask} int64 [batch_size,
 * past_sequence_length + sequence_length] (0 = masked), {@code position_ids} int64 [batch_size, sequence_length]
 * unless {@link Builder#positionIds(boolean) positionIds(false)}, {@code past_key_values.{l}.key|value} float
 * [batch_size, kv_heads, past_sequence_length, head_dim]. Outputs: {@code logits} float [batch_size, sequence_length,
 * vocab] and {@code present.{l}.key|value} (past then new). The causal mask is computed in the graph from the shapes
 * and combined with {@code attention_mask} by adding -1e9 before the softmax, so a left-padded row gives the logits of
 * the same row unpadded. Without {@code position_ids} the graph takes the positions as {@code cumsum(attention_mask) -
 * 1} (0 over the pads), as Optimum's exports of such models compute them.
 *
 * <p>Token ids: bytes 0-255 (GPT-2's byte-to-unicode alphabet, id = byte value), then the merges of
 * {@link #MERGES} (256-261), then {@link #ENDOFTEXT} 262, {@link #IM_START} 263, {@link #IM_END} 264; ids from 265 up
 * to the model's vocab are filler words " aaaa", " aaab"... that encoding never produces but decoding turns into text.
 */
public final class DecoderModels {

    public static final String[] MERGES = {"Ġ t", "h e", "i n", "e r", "a n", "Ġt he"};
    public static final int ENDOFTEXT = 262;
    public static final int IM_START = 263;
    public static final int IM_END = 264;
    /** Ids the tokenizer's alphabet, merges and special tokens take; the model's vocab is at least this. */
    public static final int TOKENIZER_BASE_VOCAB = 265;

    /** The chat template of tokenizer_config.json (ChatML, as Qwen2 writes it, without the default system turn). */
    public static final String CHAT_TEMPLATE = "{% for message in messages %}"
            + "<|im_start|>{{ message['role'] }}\n{{ message['content'] }}<|im_end|>\n"
            + "{% endfor %}"
            + "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}";

    private DecoderModels() {
    }

    public static Builder builder() {
        return new Builder();
    }

    /** A model directory; every setter has a small, fast default (2 layers, hidden 64, 4 heads, vocab 320). */
    public static final class Builder {
        private long seed = 13;
        private int layers = 2;
        private int hidden = 64;
        private int heads = 4;
        private int kvHeads = -1;
        private int vocab = 320;
        private int maxPositions = 256;
        private boolean positionIds = true;
        private float weightScale = 1f;
        private int[] eosTokenIds = {ENDOFTEXT};
        private Boolean doSample;
        private Double temperature;
        private final Map<Integer, Float> logitBias = new LinkedHashMap<>();

        public Builder seed(long seed) {
            this.seed = seed;
            return this;
        }

        public Builder layers(int layers) {
            this.layers = layers;
            return this;
        }

        public Builder hidden(int hidden) {
            this.hidden = hidden;
            return this;
        }

        public Builder heads(int heads) {
            this.heads = heads;
            return this;
        }

        /** Key/value heads; fewer than {@link #heads} (dividing it) is grouped-query attention. Default: heads. */
        public Builder kvHeads(int kvHeads) {
            this.kvHeads = kvHeads;
            return this;
        }

        /** The model's vocabulary, at least {@link #TOKENIZER_BASE_VOCAB}; the tokenizer's vocab is the same. */
        public Builder vocab(int vocab) {
            this.vocab = vocab;
            return this;
        }

        public Builder maxPositions(int maxPositions) {
            this.maxPositions = maxPositions;
            return this;
        }

        /** Whether the graph takes position_ids; without, it derives them from attention_mask. */
        public Builder positionIds(boolean positionIds) {
            this.positionIds = positionIds;
            return this;
        }

        /** Multiplies every random weight; 1 gives logits with a spread of a few units. */
        public Builder weightScale(float weightScale) {
            this.weightScale = weightScale;
            return this;
        }

        /** eos_token_id of generation_config.json: one id as a number, several as a list. config.json gets the first. */
        public Builder eosTokenIds(int... ids) {
            this.eosTokenIds = ids.clone();
            return this;
        }

        /** do_sample and temperature in generation_config.json (absent unless set). */
        public Builder sampling(boolean doSample, double temperature) {
            this.doSample = doSample;
            this.temperature = temperature;
            return this;
        }

        /** A constant added to one token's logit everywhere (an LM-head bias), e.g. to make EOS likely. */
        public Builder logitBias(int tokenId, float bias) {
            logitBias.put(tokenId, bias);
            return this;
        }

        /** Writes the model directory (created if absent) and returns it. */
        public Path write(Path dir) {
            int kv = kvHeads < 0 ? heads : kvHeads;
            if (hidden % heads != 0 || heads % kv != 0) {
                throw new IllegalArgumentException("hidden must divide by heads, heads by kvHeads");
            }
            if (vocab < TOKENIZER_BASE_VOCAB) {
                throw new IllegalArgumentException("vocab must be at least " + TOKENIZER_BASE_VOCAB);
            }
            try {
                Files.createDirectories(dir);
                graph(kv).write(dir.resolve("model.onnx"));
                Files.writeString(dir.resolve("config.json"), config(kv));
                Files.writeString(dir.resolve("generation_config.json"), generationConfig());
                Files.writeString(dir.resolve("tokenizer.json"), tokenizerJson(vocab));
                Files.writeString(dir.resolve("tokenizer_config.json"), tokenizerConfig());
                return dir;
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        private String config(int kv) {
            return "{\n  \"model_type\": \"gpt2\",\n  \"architectures\": [\"GPT2LMHeadModel\"],\n"
                    + "  \"vocab_size\": " + vocab + ",\n  \"hidden_size\": " + hidden + ",\n"
                    + "  \"num_hidden_layers\": " + layers + ",\n  \"num_attention_heads\": " + heads + ",\n"
                    + "  \"num_key_value_heads\": " + kv + ",\n  \"max_position_embeddings\": " + maxPositions + ",\n"
                    + "  \"bos_token_id\": " + ENDOFTEXT + ",\n  \"eos_token_id\": " + eosTokenIds[0] + ",\n"
                    + "  \"use_cache\": true,\n  \"torch_dtype\": \"float32\"\n}\n";
        }

        private String generationConfig() {
            StringBuilder b = new StringBuilder("{\n  \"bos_token_id\": " + ENDOFTEXT + ",\n  \"eos_token_id\": ");
            if (eosTokenIds.length == 1) {
                b.append(eosTokenIds[0]);
            } else {
                b.append(Arrays.toString(eosTokenIds));
            }
            if (doSample != null) {
                b.append(",\n  \"do_sample\": ").append(doSample).append(",\n  \"temperature\": ").append(temperature);
            }
            return b.append("\n}\n").toString();
        }

        private OnnxModelWriter graph(int kv) {
            int headDim = hidden / heads;
            int rep = heads / kv;
            OnnxModelWriter w = OnnxModelWriter.graph("decoder");
            w.symbolicInput("input_ids", INT64, "batch_size", "sequence_length");
            w.symbolicInput("attention_mask", INT64, "batch_size", "total_sequence_length");
            if (positionIds) w.symbolicInput("position_ids", INT64, "batch_size", "sequence_length");
            for (int l = 0; l < layers; l++) {
                for (String kind : new String[] {"key", "value"}) {
                    w.symbolicInput("past_key_values." + l + "." + kind, FLOAT, "batch_size", (long) kv,
                            "past_sequence_length", (long) headDim);
                }
            }
            w.symbolicOutput("logits", FLOAT, "batch_size", "sequence_length", (long) vocab);
            for (int l = 0; l < layers; l++) {
                for (String kind : new String[] {"key", "value"}) {
                    w.symbolicOutput("present." + l + "." + kind, FLOAT, "batch_size", (long) kv,
                            "total_sequence_length", (long) headDim);
                }
            }
            SplittableRandom root = new SplittableRandom(seed);
            Weights p = new Weights(w, root, weightScale);

            // constants
            w.initializer("c_zero", new long[] {0});
            w.initializer("c_one", new long[] {1});
            w.initializer("c_two", new long[] {2});
            w.initializer("c_axis1", new long[] {1});
            w.initializer("c_axes0", new long[] {0}, 1);
            w.initializer("c_axes1", new long[] {1}, 1);
            w.initializer("c_big", new long[] {Long.MAX_VALUE}, 1);
            w.initializer("c_neg", new float[] {-1e9f});
            w.initializer("c_fzero", new float[] {0f});
            w.initializer("c_scale", new float[] {(float) (1 / Math.sqrt(headDim))});
            w.initializer("c_half", new float[] {0.5f});
            w.initializer("c_fone", new float[] {1f});
            w.initializer("c_rsqrt2", new float[] {(float) (1 / Math.sqrt(2))});
            w.initializer("c_q_shape", new long[] {0, 0, heads, headDim}, 4);
            w.initializer("c_kv_shape", new long[] {0, 0, kv, headDim}, 4);
            w.initializer("c_rep_shape", new long[] {0, heads, -1, headDim}, 4);
            w.initializer("c_tile", new long[] {1, 1, rep, 1, 1}, 5);
            w.initializer("c_axes2", new long[] {2}, 1);
            w.initializer("c_merge_shape", new long[] {0, 0, hidden}, 3);

            // lengths: S from input_ids, T from attention_mask, P = T - S (the past's length)
            w.node("Shape", List.of("input_ids"), List.of("ids_shape"));
            w.node("Gather", List.of("ids_shape", "c_one"), List.of("S"), Attribute.ofInt("axis", 0));
            w.node("Shape", List.of("attention_mask"), List.of("mask_shape"));
            w.node("Gather", List.of("mask_shape", "c_one"), List.of("T"), Attribute.ofInt("axis", 0));
            w.node("Sub", List.of("T", "S"), List.of("P"));

            // embeddings
            p.normal("wte", 1f, vocab, hidden);
            p.normal("wpe", 0.5f, maxPositions, hidden);
            w.node("Gather", List.of("wte", "input_ids"), List.of("tok_emb"), Attribute.ofInt("axis", 0));
            String positions = "position_ids";
            if (!positionIds) {
                w.node("CumSum", List.of("attention_mask", "c_one"), List.of("mask_cumsum"));
                w.node("Sub", List.of("mask_cumsum", "c_one"), List.of("pos_m1"));
                w.node("Max", List.of("pos_m1", "c_zero"), List.of("pos_all"));
                w.node("Unsqueeze", List.of("P", "c_axes0"), List.of("P_1"));
                w.node("Slice", List.of("pos_all", "P_1", "c_big", "c_axes1"), List.of("pos_derived"));
                positions = "pos_derived";
            }
            w.node("Gather", List.of("wpe", positions), List.of("pos_emb"), Attribute.ofInt("axis", 0));
            w.node("Add", List.of("tok_emb", "pos_emb"), List.of("h_0"));

            // bias [batch, 1, S, T]: 0 where key column j <= P + i and attention_mask is 1, else -1e9
            w.node("Range", List.of("c_zero", "T", "c_one"), List.of("cols"));
            w.node("Range", List.of("P", "T", "c_one"), List.of("rows"));
            w.node("Unsqueeze", List.of("rows", "c_axes1"), List.of("rows_col"));
            w.node("LessOrEqual", List.of("cols", "rows_col"), List.of("causal"));
            w.node("Cast", List.of("attention_mask"), List.of("mask_bool"), Attribute.ofInt("to", 9));
            w.node("Unsqueeze", List.of("mask_bool", "c_axes1"), List.of("mask_b1"));
            w.node("Unsqueeze", List.of("mask_b1", "c_axes1"), List.of("mask_b11"));
            w.node("And", List.of("causal", "mask_b11"), List.of("allowed"));
            w.node("Where", List.of("allowed", "c_fzero", "c_neg"), List.of("attn_bias"));

            String h = "h_0";
            for (int l = 0; l < layers; l++) {
                String n = "l" + l + "_";
                float proj = 1f / (float) Math.sqrt(hidden);
                layerNorm(w, h, n + "ln1", hidden);
                p.normal(n + "wq", proj, hidden, hidden);
                p.normal(n + "wk", proj, hidden, kv * headDim);
                p.normal(n + "wv", proj, hidden, kv * headDim);
                p.normal(n + "wo", proj, hidden, hidden);
                w.node("MatMul", List.of(n + "ln1", n + "wq"), List.of(n + "q"));
                w.node("MatMul", List.of(n + "ln1", n + "wk"), List.of(n + "k"));
                w.node("MatMul", List.of(n + "ln1", n + "wv"), List.of(n + "v"));
                w.node("Reshape", List.of(n + "q", "c_q_shape"), List.of(n + "q4"));
                w.node("Transpose", List.of(n + "q4"), List.of(n + "qh"), Attribute.ofInts("perm", 0, 2, 1, 3));
                for (String kind : new String[] {"k", "v"}) {
                    String full = kind.equals("k") ? "key" : "value";
                    w.node("Reshape", List.of(n + kind, "c_kv_shape"), List.of(n + kind + "4"));
                    w.node("Transpose", List.of(n + kind + "4"), List.of(n + kind + "h"),
                            Attribute.ofInts("perm", 0, 2, 1, 3));
                    w.node("Concat", List.of("past_key_values." + l + "." + full, n + kind + "h"),
                            List.of("present." + l + "." + full), Attribute.ofInt("axis", 2));
                    String all = "present." + l + "." + full;
                    if (rep > 1) {
                        w.node("Unsqueeze", List.of(all, "c_axes2"), List.of(n + kind + "5"));
                        w.node("Tile", List.of(n + kind + "5", "c_tile"), List.of(n + kind + "tiled"));
                        w.node("Reshape", List.of(n + kind + "tiled", "c_rep_shape"), List.of(n + kind + "rep"));
                        all = n + kind + "rep";
                    }
                    w.node("Identity", List.of(all), List.of(n + kind + "all"));
                }
                w.node("Transpose", List.of(n + "kall"), List.of(n + "kt"), Attribute.ofInts("perm", 0, 1, 3, 2));
                w.node("MatMul", List.of(n + "qh", n + "kt"), List.of(n + "scores_raw"));
                w.node("Mul", List.of(n + "scores_raw", "c_scale"), List.of(n + "scores_scaled"));
                w.node("Add", List.of(n + "scores_scaled", "attn_bias"), List.of(n + "scores"));
                w.node("Softmax", List.of(n + "scores"), List.of(n + "probs"), Attribute.ofInt("axis", -1));
                w.node("MatMul", List.of(n + "probs", n + "vall"), List.of(n + "ctx"));
                w.node("Transpose", List.of(n + "ctx"), List.of(n + "ctx_t"), Attribute.ofInts("perm", 0, 2, 1, 3));
                w.node("Reshape", List.of(n + "ctx_t", "c_merge_shape"), List.of(n + "ctx_m"));
                w.node("MatMul", List.of(n + "ctx_m", n + "wo"), List.of(n + "attn"));
                w.node("Add", List.of(h, n + "attn"), List.of(n + "h_attn"));

                layerNorm(w, n + "h_attn", n + "ln2", hidden);
                p.normal(n + "w1", proj, hidden, 4 * hidden);
                p.normal(n + "b1", 0.1f, 4 * hidden);
                p.normal(n + "w2", 1f / (float) Math.sqrt(4 * hidden), 4 * hidden, hidden);
                w.node("MatMul", List.of(n + "ln2", n + "w1"), List.of(n + "fc_raw"));
                w.node("Add", List.of(n + "fc_raw", n + "b1"), List.of(n + "fc"));
                // GELU(x) = 0.5 x (1 + erf(x / sqrt 2)); opset 17 has no Gelu
                w.node("Mul", List.of(n + "fc", "c_rsqrt2"), List.of(n + "fc_s"));
                w.node("Erf", List.of(n + "fc_s"), List.of(n + "fc_erf"));
                w.node("Add", List.of(n + "fc_erf", "c_fone"), List.of(n + "fc_erf1"));
                w.node("Mul", List.of(n + "fc", "c_half"), List.of(n + "fc_half"));
                w.node("Mul", List.of(n + "fc_half", n + "fc_erf1"), List.of(n + "gelu"));
                w.node("MatMul", List.of(n + "gelu", n + "w2"), List.of(n + "mlp"));
                w.node("Add", List.of(n + "h_attn", n + "mlp"), List.of(n + "h_out"));
                h = n + "h_out";
            }
            layerNorm(w, h, "ln_f", hidden);
            // logits of spread ~4: clear top-two margins for greedy comparisons, still not one-hot
            p.normal("lm_head", 4f / (float) Math.sqrt(hidden), hidden, vocab);
            float[] bias = new float[vocab];
            logitBias.forEach((id, b) -> bias[id] += b);
            w.initializer("lm_bias", bias, vocab);
            w.node("MatMul", List.of("ln_f", "lm_head"), List.of("logits_raw"));
            w.node("Add", List.of("logits_raw", "lm_bias"), List.of("logits"));
            return w;
        }

        private static void layerNorm(OnnxModelWriter w, String in, String out, int hidden) {
            float[] ones = new float[hidden];
            Arrays.fill(ones, 1f);
            w.initializer(out + "_g", ones, hidden);
            w.initializer(out + "_b", new float[hidden], hidden);
            w.node("LayerNormalization", List.of(in, out + "_g", out + "_b"), List.of(out),
                    Attribute.ofInt("axis", -1), Attribute.ofFloat("epsilon", 1e-5f));
        }

        private String tokenizerConfig() {
            return "{\n  \"tokenizer_class\": \"GPT2Tokenizer\",\n  \"bos_token\": \"<|endoftext|>\",\n"
                    + "  \"eos_token\": \"<|endoftext|>\",\n  \"pad_token\": \"<|endoftext|>\",\n"
                    + "  \"model_max_length\": " + maxPositions + ",\n  \"add_bos_token\": false,\n"
                    + "  \"chat_template\": " + json(CHAT_TEMPLATE) + "\n}\n";
        }
    }

    /** Seeded random weights, each tensor from its own split of the seed so that one shape change moves no other. */
    private record Weights(OnnxModelWriter w, SplittableRandom root, float scale) {

        /** Uniform with standard deviation {@code std * scale}: cheaper than Gaussian, same spread. */
        void normal(String name, float std, long... dims) {
            long seed = root.nextLong();
            float a = (float) (std * scale * Math.sqrt(3));
            w.initializer(name, () -> {
                SplittableRandom r = new SplittableRandom(seed);
                return () -> (float) ((r.nextDouble() * 2 - 1) * a);
            }, dims);
        }
    }

    /** tokenizer.json of a byte-level BPE tokenizer of {@code vocab} ids, as Hugging Face tokenizers writes it. */
    public static String tokenizerJson(int vocab) {
        String[] byteChar = byteToUnicode();
        List<String> tokens = new ArrayList<>();
        for (int b = 0; b < 256; b++) tokens.add(byteChar[b]);
        for (String m : MERGES) tokens.add(m.replace(" ", ""));
        tokens.add("<|endoftext|>");
        tokens.add("<|im_start|>");
        tokens.add("<|im_end|>");
        for (int i = 0; tokens.size() < vocab; i++) {
            StringBuilder word = new StringBuilder("Ġ");
            for (int d = 3, x = i; d >= 0; d--) {
                word.append((char) ('a' + (x / (int) Math.pow(26, d)) % 26));
            }
            tokens.add(word.toString());
        }
        StringBuilder b = new StringBuilder();
        b.append("{\n  \"version\": \"1.0\",\n  \"truncation\": null,\n  \"padding\": null,\n  \"added_tokens\": [");
        String[] specials = {"<|endoftext|>", "<|im_start|>", "<|im_end|>"};
        for (int i = 0; i < specials.length; i++) {
            b.append(i == 0 ? "\n" : ",\n").append("    {\"id\": ").append(ENDOFTEXT + i).append(", \"content\": ")
                    .append(json(specials[i])).append(", \"single_word\": false, \"lstrip\": false, \"rstrip\": false,"
                            + " \"normalized\": false, \"special\": true}");
        }
        b.append("\n  ],\n  \"normalizer\": null,\n");
        b.append("  \"pre_tokenizer\": {\"type\": \"ByteLevel\", \"add_prefix_space\": false, \"trim_offsets\": true,"
                + " \"use_regex\": true},\n");
        b.append("  \"post_processor\": {\"type\": \"ByteLevel\", \"add_prefix_space\": false, \"trim_offsets\": false,"
                + " \"use_regex\": true},\n");
        b.append("  \"decoder\": {\"type\": \"ByteLevel\", \"add_prefix_space\": false, \"trim_offsets\": true,"
                + " \"use_regex\": true},\n");
        b.append("  \"model\": {\n    \"type\": \"BPE\",\n    \"dropout\": null,\n    \"unk_token\": null,\n"
                + "    \"continuing_subword_prefix\": null,\n    \"end_of_word_suffix\": null,\n"
                + "    \"fuse_unk\": false,\n    \"byte_fallback\": false,\n    \"vocab\": {");
        for (int i = 0; i < tokens.size(); i++) {
            b.append(i == 0 ? "" : ",").append(i % 8 == 0 ? "\n      " : " ").append(json(tokens.get(i))).append(": ")
                    .append(i);
        }
        b.append("\n    },\n    \"merges\": [");
        for (int i = 0; i < MERGES.length; i++) {
            b.append(i == 0 ? "" : ", ").append(json(MERGES[i]));
        }
        return b.append("]\n  }\n}\n").toString();
    }

    /** GPT-2's bytes_to_unicode: printable bytes map to themselves, the others to U+0100 onwards. */
    public static String[] byteToUnicode() {
        String[] map = new String[256];
        int next = 256;
        for (int b = 0; b < 256; b++) {
            boolean printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
            map[b] = new String(Character.toChars(printable ? b : next++));
        }
        return map;
    }

    static String json(String s) {
        StringBuilder b = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                case '\r' -> b.append("\\r");
                case '\t' -> b.append("\\t");
                default -> {
                    if (c < 0x20) b.append(String.format("\\u%04x", (int) c));
                    else b.append(c);
                }
            }
        }
        return b.append('"').toString();
    }

}
