package dev.ember.runtime.generate;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ember.runtime.api.GenerationRequest;
import dev.ember.runtime.api.ModelId;
import dev.ember.runtime.config.TestConfig;
import dev.ember.runtime.onnx.Decoder;
import dev.ember.runtime.onnx.DecoderLayout;
import dev.ember.runtime.onnx.DecoderOutput;
import dev.ember.runtime.onnx.KvCache;
import dev.ember.runtime.onnx.LoadedModel;
import dev.ember.runtime.onnx.SessionFactory;
import dev.ember.runtime.pool.KvCacheBudget;
import dev.ember.runtime.testing.DecoderModels;
import dev.ember.runtime.testing.TestBeans;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The engine end to end on a generated Optimum-layout decoder (grouped-query attention) run by ONNX Runtime. */
class OnnxGenerationTest {

    static final ModelId ID = new ModelId("tiny", 1);
    static final int MAX_TOKENS = 20;

    @TempDir
    static Path dir;
    static LoadedModel loaded;
    static GeneratorModel files;

    @BeforeAll
    static void load() throws Exception {
        Path model = DecoderModels.builder().heads(4).kvHeads(2).maxPositions(128).write(dir.resolve("tiny"));
        SessionFactory factory = TestBeans.create(SessionFactory.class,
                TestConfig.ember(Map.of("ember.device", "cpu")), new SimpleMeterRegistry());
        loaded = factory.create(ID, Files.readAllBytes(model.resolve("model.onnx")));
        files = GeneratorModel.read(ID, model);
    }

    @AfterAll
    static void close() {
        files.close();
        loaded.close();
    }

    static GenerationEngine engine(int prefillChunk) {
        return engine(prefillChunk, new SimpleMeterRegistry());
    }

    static GenerationEngine engine(int prefillChunk, SimpleMeterRegistry registry) {
        return engine(prefillChunk, registry, loaded.decoder());
    }

    static GenerationEngine engine(int prefillChunk, SimpleMeterRegistry registry, Decoder decoder) {
        return new GenerationEngine(ID, decoder, files, new GenerationEngine.Settings(16, 64, prefillChunk),
                new KvCacheBudget(1L << 30, registry).account(ID, OptionalLong.empty()),
                new GenerationMetrics(registry, ID));
    }

    static GenerationRequest greedy(String prompt) {
        return GenerationRequest.ofPrompt(prompt).withMaxTokens(MAX_TOKENS)
                .withSampling(OptionalDouble.of(0), OptionalDouble.empty(), OptionalLong.empty());
    }

    static GenerationResult run(GenerationEngine engine, GenerationRequest request) {
        Streams.Recorder r = new Streams.Recorder();
        r.generation = engine.submit(request, r, Streams.NO_DEADLINE);
        return r.done();
    }

    /** A greedy loop with no batch and no engine: the prompt in one pass, then one token per run. */
    static String reference(String prompt) {
        Decoder decoder = loaded.decoder();
        long[] ids = files.tokens().encode(prompt, true);
        long[][] positions = {new long[ids.length]};
        for (int i = 0; i < ids.length; i++) {
            positions[0][i] = i;
        }
        long[][] mask = {new long[ids.length]};
        Arrays.fill(mask[0], 1);
        KvCache past = decoder.empty(1);
        DecoderOutput out = decoder.run(new long[][] {ids}, mask, positions, past);
        past.close();
        List<Long> generated = new ArrayList<>();
        int length = ids.length;
        while (true) {
            long next = Sampler.argmax(out.logits()[0]);
            generated.add(next);
            if (files.eos().contains(next) || generated.size() >= MAX_TOKENS) {
                out.present().close();
                break;
            }
            long[][] stepMask = {new long[length + 1]};
            Arrays.fill(stepMask[0], 1);
            DecoderOutput step = decoder.run(new long[][] {{next}}, stepMask, new long[][] {{length}}, out.present());
            out.present().close();
            out = step;
            length++;
        }
        return files.tokens().decode(generated.stream().filter(t -> !files.eos().contains(t))
                .mapToLong(Long::longValue).toArray());
    }

    @Test
    void sixteenConcurrentStreamsEachReturnWhatTheyReturnAloneAndWhatABatchFreeLoopReturns() {
        List<String> prompts = new ArrayList<>();
        for (int i = 0; i < 16; i++) {
            prompts.add("stream " + i + ": " + "the cat sat on ".repeat(i % 5) + "in".repeat(i));
        }
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        // the first run waits until all sixteen are queued, so they do share steps
        CompletableFuture<Void> queued = new CompletableFuture<>();
        Decoder real = loaded.decoder();
        Decoder gated = new Decoder() {
            public DecoderLayout layout() {
                return real.layout();
            }

            public KvCache empty(int rows) {
                return real.empty(rows);
            }

            public KvCache concat(List<KvCache> parts, int length) {
                return real.concat(parts, length);
            }

            public DecoderOutput run(long[][] ids, long[][] mask, long[][] positions, KvCache past) {
                queued.join();
                return real.run(ids, mask, positions, past);
            }
        };
        GenerationEngine batched = engine(256, registry, gated);
        List<Streams.Recorder> recorders = new ArrayList<>();
        for (String p : prompts) {
            Streams.Recorder r = new Streams.Recorder();
            r.generation = batched.submit(greedy(p), r, Streams.NO_DEADLINE);
            recorders.add(r);
        }
        queued.complete(null);
        GenerationEngine alone = engine(256);
        Set<String> texts = new java.util.HashSet<>();
        for (int i = 0; i < prompts.size(); i++) {
            GenerationResult together = recorders.get(i).done();
            assertThat(together).as("stream %d", i).isEqualTo(run(alone, greedy(prompts.get(i))));
            assertThat(together.text()).as("stream %d against the batch-free loop", i)
                    .isEqualTo(reference(prompts.get(i)));
            texts.add(together.text());
        }
        assertThat(texts).as("different prompts, different completions").hasSizeGreaterThan(8);
        assertThat(registry.get("ember.generate.step.sequences").summary().max()).as("widest step").isGreaterThan(1);
    }

    @Test
    void aPromptInChunksGivesTheTokensOfOnePass() {
        String prompt = "a long prompt, longer than one chunk of seven tokens, run in pieces";
        assertThat(files.tokens().encode(prompt, true).length).isGreaterThan(30);
        assertThat(run(engine(7), greedy(prompt))).isEqualTo(run(engine(1000), greedy(prompt)));
    }

    @Test
    void aSeededSampleIsTheSameAloneAndBesideOthers() {
        GenerationRequest seeded = GenerationRequest.ofPrompt("once upon a time").withMaxTokens(MAX_TOKENS)
                .withSampling(OptionalDouble.of(1.0), OptionalDouble.of(0.95), OptionalLong.of(2024));
        GenerationResult alone = run(engine(256), seeded);
        GenerationEngine shared = engine(256);
        List<Streams.Recorder> others = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            Streams.Recorder r = new Streams.Recorder();
            r.generation = shared.submit(greedy("other " + i), r, Streams.NO_DEADLINE);
            others.add(r);
        }
        assertThat(run(shared, seeded)).isEqualTo(alone);
        others.forEach(Streams.Recorder::done);
    }
}
