package dev.ember.runtime.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import java.io.IOException;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The generated decoder directories against ONNX Runtime and DJL directly (the engine's view is DecoderTest's). */
class DecoderModelsTest {

    private static final OrtEnvironment ENV = dev.ember.runtime.onnx.OnnxEnvironment.get();

    @TempDir
    Path dir;

    @Test
    void writesTheOptimumLayout() throws IOException {
        Path model = DecoderModels.builder().write(dir.resolve("m"));
        for (String f : new String[] {"model.onnx", "config.json", "generation_config.json", "tokenizer.json",
                "tokenizer_config.json"}) {
            assertThat(model.resolve(f)).isNotEmptyFile();
        }
        assertThat(Files.readString(model.resolve("config.json"))).contains("\"num_key_value_heads\": 4",
                "\"vocab_size\": 320", "\"eos_token_id\": 262");
        assertThat(Files.readString(model.resolve("tokenizer_config.json"))).contains("<|im_start|>{{ message['role'] }}");
    }

    @Test
    void greedyFromFullRecomputationIsNotDegenerate() throws OrtException {
        for (boolean positions : new boolean[] {true, false}) {
            Path model = DecoderModels.builder().positionIds(positions).kvHeads(positions ? 4 : 2)
                    .write(dir.resolve("m" + positions));
            try (OrtSession s = ENV.createSession(model.resolve("model.onnx").toString())) {
                long[] seq = new long[48];
                seq[0] = 'H';
                seq[1] = 'i';
                int n = 2;
                Set<Long> seen = new HashSet<>();
                float minMargin = Float.MAX_VALUE;
                for (int step = 0; step < 40; step++) {
                    float[] last = lastLogits(s, java.util.Arrays.copyOf(seq, n), 0, positions);
                    int best = argmax(last);
                    minMargin = Math.min(minMargin, margin(last, best));
                    seq[n++] = best;
                    seen.add((long) best);
                }
                assertThat(seen).as("distinct greedy tokens over 40 steps").hasSizeGreaterThan(8);
                assertThat(minMargin).as("smallest top-two margin").isGreaterThan(1e-3f);
            }
        }
    }

    @Test
    void leftPaddedRowGivesTheLogitsOfTheRowAlone() throws OrtException {
        for (boolean positions : new boolean[] {true, false}) {
            Path model = DecoderModels.builder().positionIds(positions).write(dir.resolve("p" + positions));
            try (OrtSession s = ENV.createSession(model.resolve("model.onnx").toString())) {
                long[] ids = {72, 101, 108, 108, 111};
                float[] alone = lastLogits(s, ids, 0, positions);
                float[] padded = lastLogits(s, ids, 3, positions);
                for (int i = 0; i < alone.length; i++) {
                    assertThat(padded[i]).isCloseTo(alone[i], within(1e-5f));
                }
            }
        }
    }

    @Test
    void tokenizerRoundTripsAsciiAndUtf8AndKnowsTheSpecialTokens() throws IOException {
        Path model = DecoderModels.builder().write(dir.resolve("t"));
        try (HuggingFaceTokenizer t = HuggingFaceTokenizer.builder().optTokenizerPath(model.resolve("tokenizer.json"))
                .optAddSpecialTokens(false).optTruncation(false).build()) {
            for (String text : new String[] {"Hello there, the world!", "grüße 你好"}) {
                Encoding e = t.encode(text);
                assertThat(t.decode(e.getIds())).isEqualTo(text);
            }
            assertThat(t.encode(" the").getIds()).containsExactly(261L);
            assertThat(t.encode("<|im_start|>user<|im_end|><|endoftext|>").getIds())
                    .containsExactly(263L, 'u', 's', 259L, 264L, 262L);
            assertThat(t.decode(new long[] {265, 266}, false)).isEqualTo(" aaaa aaab");
        }
    }

    @Test
    void chatTemplateRendersChatMlInJinjava() throws IOException {
        String rendered = new com.hubspot.jinjava.Jinjava().render(DecoderModels.CHAT_TEMPLATE, Map.of(
                "messages", java.util.List.of(Map.of("role", "system", "content", "Be brief."),
                        Map.of("role", "user", "content", "Hi")),
                "add_generation_prompt", true));
        assertThat(rendered).isEqualTo("<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n"
                + "<|im_start|>assistant\n");
        Path model = DecoderModels.builder().write(dir.resolve("c"));
        try (HuggingFaceTokenizer t = HuggingFaceTokenizer.builder().optTokenizerPath(model.resolve("tokenizer.json"))
                .optAddSpecialTokens(false).optTruncation(false).build()) {
            long[] ids = t.encode(rendered).getIds();
            assertThat(ids[0]).isEqualTo(DecoderModels.IM_START);
            assertThat(ids).contains((long) DecoderModels.IM_END);
            assertThat(t.decode(ids, false)).isEqualTo(rendered);
        }
    }

    /** Logits at the last position of one row, left-padded by {@code pad} masked tokens. */
    static float[] lastLogits(OrtSession s, long[] ids, int pad, boolean positions) throws OrtException {
        int n = ids.length + pad;
        long[][] in = new long[1][n];
        long[][] mask = new long[1][n];
        long[][] pos = new long[1][n];
        for (int i = 0; i < ids.length; i++) {
            in[0][pad + i] = ids[i];
            mask[0][pad + i] = 1;
            pos[0][pad + i] = i;
        }
        Map<String, OnnxTensor> feeds = new HashMap<>();
        try {
            feeds.put("input_ids", OnnxTensor.createTensor(ENV, in));
            feeds.put("attention_mask", OnnxTensor.createTensor(ENV, mask));
            if (positions) feeds.put("position_ids", OnnxTensor.createTensor(ENV, pos));
            for (String name : s.getInputNames()) {
                if (name.startsWith("past_key_values.")) {
                    long[] shape = ((ai.onnxruntime.TensorInfo) s.getInputInfo().get(name).getInfo()).getShape();
                    feeds.put(name, OnnxTensor.createTensor(ENV, FloatBuffer.allocate(0),
                            new long[] {1, shape[1], 0, shape[3]}));
                }
            }
            try (OrtSession.Result r = s.run(feeds, Set.of("logits"))) {
                float[][][] logits = (float[][][]) r.get("logits").get().getValue();
                return logits[0][n - 1];
            }
        } finally {
            feeds.values().forEach(OnnxTensor::close);
        }
    }

    static int argmax(float[] v) {
        int best = 0;
        for (int i = 1; i < v.length; i++) if (v[i] > v[best]) best = i;
        return best;
    }

    static float margin(float[] v, int best) {
        float second = -Float.MAX_VALUE;
        for (int i = 0; i < v.length; i++) if (i != best) second = Math.max(second, v[i]);
        return v[best] - second;
    }
}
