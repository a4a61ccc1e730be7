package dev.ember.runtime.onnx;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.ember.runtime.api.ModelId;
import dev.ember.runtime.api.UnavailableException;
import dev.ember.runtime.config.TestConfig;
import dev.ember.runtime.testing.DecoderModels;
import dev.ember.runtime.testing.FixtureModels;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class DecoderTest {

    @TempDir
    Path dir;

    private final List<AutoCloseable> open = new ArrayList<>();

    @AfterEach
    void closeAll() throws Exception {
        for (int i = open.size() - 1; i >= 0; i--) {
            open.get(i).close();
        }
    }

    static Stream<Arguments> shapes() {
        return Stream.of(
                Arguments.of("multi-head with position_ids", 4, 4, true),
                Arguments.of("grouped-query (2 kv heads of 4)", 4, 2, true),
                Arguments.of("multi-query without position_ids", 4, 1, false));
    }

    LoadedModel load(DecoderModels.Builder builder, String name) throws Exception {
        Path model = builder.write(dir.resolve(name)).resolve("model.onnx");
        SessionFactory factory = new SessionFactory(TestConfig.ember(Map.of("ember.device", "cpu")),
                new SimpleMeterRegistry());
        LoadedModel loaded = factory.create(new ModelId(name, 1), Files.readAllBytes(model));
        open.add(loaded);
        return loaded;
    }

    Decoder decoder(int heads, int kvHeads, boolean positions) throws Exception {
        return load(DecoderModels.builder().heads(heads).kvHeads(kvHeads).positionIds(positions), "m").decoder();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("shapes")
    void cachedDecodingEqualsFullRecomputation(String what, int heads, int kvHeads, boolean positions)
            throws Exception {
        Decoder decoder = decoder(heads, kvHeads, positions);
        assertThat(decoder.layout().kvHeads()).isEqualTo(kvHeads);
        List<Long> tokens = new ArrayList<>(List.of(72L, 101L, 108L, 108L, 111L));
        DecoderOutput out = decoder.run(new long[][] {unbox(tokens)}, ones(1, tokens.size()),
                new long[][] {range(0, tokens.size())}, decoder.empty(1));
        KvCache cache = out.present();
        float[] cached = out.logits()[0];
        java.util.Set<Long> seen = new java.util.HashSet<>();
        for (int step = 0; step < 40; step++) {
            float[] full = fullLogits(decoder, unbox(tokens));
            for (int i = 0; i < full.length; i++) {
                assertThat(cached[i]).as("step %d logit %d", step, i).isCloseTo(full[i], within(1e-4f));
            }
            long next = argmax(cached);
            assertThat(next).as("greedy token at step %d", step).isEqualTo(argmax(full));
            seen.add(next);
            int pos = tokens.size();
            tokens.add(next);
            DecoderOutput step1 = decoder.run(new long[][] {{next}}, ones(1, pos + 1), new long[][] {{pos}}, cache);
            cache.close();
            cache = step1.present();
            assertThat(cache.length()).isEqualTo(pos + 1);
            cached = step1.logits()[0];
        }
        assertThat(cache.rows()).isEqualTo(1);
        assertThat(cache.bytes()).isEqualTo(45L * decoder.layout().bytesPerToken());
        cache.close();
        assertThat(seen).as("greedy tokens are not one token repeated").hasSizeGreaterThan(5);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("shapes")
    void aLeftPaddedRowGivesTheLogitsOfTheRowAlone(String what, int heads, int kvHeads, boolean positions)
            throws Exception {
        Decoder decoder = decoder(heads, kvHeads, positions);
        long[] a = {87, 104, 121};
        long[] b = {84, 104, 101, 32, 99, 97};
        // batch: a left-padded by 3, b as it is
        long[][] ids = {{0, 0, 0, 87, 104, 121}, b};
        long[][] mask = {{0, 0, 0, 1, 1, 1}, ones(1, 6)[0]};
        long[][] pos = {{0, 0, 0, 0, 1, 2}, range(0, 6)};
        DecoderOutput batch = decoder.run(ids, mask, pos, decoder.empty(2));
        DecoderOutput aloneA = decoder.run(new long[][] {a}, ones(1, 3), new long[][] {range(0, 3)}, decoder.empty(1));
        DecoderOutput aloneB = decoder.run(new long[][] {b}, ones(1, 6), new long[][] {range(0, 6)}, decoder.empty(1));
        KvCache cb = batch.present();
        KvCache ca = aloneA.present();
        KvCache cB = aloneB.present();
        assertClose(batch.logits()[0], aloneA.logits()[0], 1e-5f);
        assertClose(batch.logits()[1], aloneB.logits()[0], 1e-5f);
        // decode steps: the batch keeps a's pad columns masked
        long[][] batchMask = mask;
        for (int step = 0; step < 5; step++) {
            long na = argmax(aloneA.logits()[0]);
            long nb = argmax(aloneB.logits()[0]);
            batchMask = appendOne(batchMask);
            batch = decoder.run(new long[][] {{na}, {nb}}, batchMask, new long[][] {{3 + step}, {6 + step}}, cb);
            aloneA = decoder.run(new long[][] {{na}}, ones(1, 4 + step), new long[][] {{3 + step}}, ca);
            aloneB = decoder.run(new long[][] {{nb}}, ones(1, 7 + step), new long[][] {{6 + step}}, cB);
            cb.close();
            ca.close();
            cB.close();
            cb = batch.present();
            ca = aloneA.present();
            cB = aloneB.present();
            assertClose(batch.logits()[0], aloneA.logits()[0], 1e-4f);
            assertClose(batch.logits()[1], aloneB.logits()[0], 1e-4f);
        }
        cb.close();
        ca.close();
        cB.close();
    }

    @Test
    void concatAndSelectKeepEachRowsPast() throws Exception {
        Decoder decoder = load(DecoderModels.builder().kvHeads(2), "m").decoder();
        long[] a = {83, 117, 110};
        long[] b = {77, 111, 111, 110, 33};
        DecoderOutput outA = decoder.run(new long[][] {a}, ones(1, 3), new long[][] {range(0, 3)}, decoder.empty(1));
        DecoderOutput outB = decoder.run(new long[][] {b}, ones(1, 5), new long[][] {range(0, 5)}, decoder.empty(1));
        KvCache ca = outA.present();
        KvCache cb = outB.present();
        open.add(ca);
        open.add(cb);
        // b then a, padded to 7 columns (a gets 4 pads, b 2)
        KvCache joined = decoder.concat(List.of(cb, ca), 7);
        open.add(joined);
        assertThat(joined.rows()).isEqualTo(2);
        assertThat(joined.length()).isEqualTo(7);
        assertThat(joined.bytes()).isEqualTo(14 * decoder.layout().bytesPerToken());
        long nb = argmax(outB.logits()[0]);
        long na = argmax(outA.logits()[0]);
        long[][] mask = {{0, 0, 1, 1, 1, 1, 1, 1}, {0, 0, 0, 0, 1, 1, 1, 1}};
        DecoderOutput both = decoder.run(new long[][] {{nb}, {na}}, mask, new long[][] {{5}, {3}}, joined);
        open.add(both.present());
        DecoderOutput stepA = decoder.run(new long[][] {{na}}, ones(1, 4), new long[][] {{3}}, ca);
        DecoderOutput stepB = decoder.run(new long[][] {{nb}}, ones(1, 6), new long[][] {{5}}, cb);
        open.add(stepA.present());
        open.add(stepB.present());
        assertClose(both.logits()[0], stepB.logits()[0], 1e-5f);
        assertClose(both.logits()[1], stepA.logits()[0], 1e-5f);

        // a alone again, from the joined batch's own present: its 4 pads cut to 0 on the left
        KvCache onlyA = both.present().select(new int[] {1}, 4);
        open.add(onlyA);
        assertThat(onlyA.rows()).isEqualTo(1);
        assertThat(onlyA.length()).isEqualTo(4);
        long na2 = argmax(stepA.logits()[0]);
        DecoderOutput again = decoder.run(new long[][] {{na2}}, ones(1, 5), new long[][] {{4}}, onlyA);
        open.add(again.present());
        DecoderOutput reference = decoder.run(new long[][] {{na2}}, ones(1, 5), new long[][] {{4}}, stepA.present());
        open.add(reference.present());
        assertClose(again.logits()[0], reference.logits()[0], 1e-5f);

        // selected rows in a new order, widened: extra columns are zeros on the left, masked
        KvCache swapped = both.present().select(new int[] {1, 0}, 10);
        open.add(swapped);
        DecoderOutput fromSwapped = decoder.run(new long[][] {{na2}, {argmax(stepB.logits()[0])}},
                new long[][] {{0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1}, {0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1}},
                new long[][] {{4}, {6}}, swapped);
        open.add(fromSwapped.present());
        DecoderOutput refB = decoder.run(new long[][] {{argmax(stepB.logits()[0])}}, ones(1, 7), new long[][] {{6}},
                stepB.present());
        open.add(refB.present());
        assertClose(fromSwapped.logits()[0], reference.logits()[0], 1e-5f);
        assertClose(fromSwapped.logits()[1], refB.logits()[0], 1e-5f);
        assertThatThrownBy(() -> joined.select(new int[] {2}, 7)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void layoutIsReadFromTheSignature() throws Exception {
        LoadedModel gqa = load(DecoderModels.builder().layers(3).hidden(48).heads(6).kvHeads(2).vocab(300), "gqa");
        assertThat(DecoderLayout.of(gqa.signature())).contains(new DecoderLayout(3, 2, 8, 300, true));
        assertThat(DecoderLayout.of(gqa.signature()).orElseThrow().bytesPerToken()).isEqualTo(2L * 3 * 2 * 8 * 4);
        LoadedModel dynamic = load(DecoderModels.builder().positionIds(false), "dyn");
        assertThat(DecoderLayout.of(dynamic.signature())).contains(new DecoderLayout(2, 4, 16, 320, false));
        assertThat(dynamic.decoder().run(new long[][] {{1, 2}}, ones(1, 2), null, dynamic.decoder().empty(1))
                .logits()[0]).hasSize(320);

        SessionFactory factory = new SessionFactory(TestConfig.ember(Map.of("ember.device", "cpu")),
                new SimpleMeterRegistry());
        try (LoadedModel add = factory.create(new ModelId("add", 1), FixtureModels.add())) {
            assertThat(DecoderLayout.of(add.signature())).isEmpty();
            assertThatThrownBy(add::decoder).isInstanceOf(IllegalStateException.class);
        }
    }

    @Test
    void anUnloadedModelRefusesRunsButItsCachesStayUsable() throws Exception {
        LoadedModel model = load(DecoderModels.builder(), "m");
        Decoder decoder = model.decoder();
        DecoderOutput out = decoder.run(new long[][] {{1, 2, 3}}, ones(1, 3), new long[][] {range(0, 3)},
                decoder.empty(1));
        model.close();
        assertThat(model.isClosed()).isTrue();
        assertThatThrownBy(() -> decoder.run(new long[][] {{4}}, ones(1, 4), new long[][] {{3}}, out.present()))
                .isInstanceOf(UnavailableException.class);
        // the run's presents outlive the session: re-packing and closing them is safe
        try (KvCache copy = out.present().select(new int[] {0}, 3)) {
            assertThat(copy.length()).isEqualTo(3);
        }
        out.present().close();
        assertThatThrownBy(() -> out.present().select(new int[] {0}, 3)).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void aCudaErrorFallsBackToTheCpuAndRepeatsTheRun() throws Exception {
        Path file = DecoderModels.builder().write(dir.resolve("cuda")).resolve("model.onnx");
        byte[] bytes = Files.readAllBytes(file);
        ai.onnxruntime.OrtEnvironment env = OnnxEnvironment.get();
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        SessionFactory factory = new SessionFactory(TestConfig.ember(Map.of("ember.device", "cpu")), registry);
        ModelId id = new ModelId("cuda", 1);
        CudaRunFallbackTest.FailingCudaSession cuda = new CudaRunFallbackTest.FailingCudaSession(
                env.createSession(bytes, new ai.onnxruntime.OrtSession.SessionOptions()), 1,
                CudaRunFallbackTest.CUDA_FAILURE);
        LoadedModel model = new LoadedModel(id, env, cuda, new dev.ember.runtime.api.ModelSignature(
                TensorConversion.specs(cuda.ort.getInputInfo()), TensorConversion.specs(cuda.ort.getOutputInfo())),
                bytes.length, false, 1 << 20, factory.cpuFallback(env, id, new SessionFactory.Model(null, bytes,
                        bytes.length)));
        open.add(model);
        Decoder decoder = model.decoder();
        DecoderOutput out = decoder.run(new long[][] {{5, 6, 7}}, ones(1, 3), new long[][] {range(0, 3)},
                decoder.empty(1));
        open.add(out.present());
        assertThat(model.device()).isEqualTo("cpu");
        assertThat(cuda.closed()).isTrue();
        Decoder reference = load(DecoderModels.builder(), "ref").decoder();
        assertClose(out.logits()[0], fullLogits(reference, new long[] {5, 6, 7}), 1e-6f);
        // the cache made before the fallback feeds the CPU session
        DecoderOutput next = decoder.run(new long[][] {{8}}, ones(1, 4), new long[][] {{3}}, out.present());
        open.add(next.present());
        assertClose(next.logits()[0], fullLogits(reference, new long[] {5, 6, 7, 8}), 1e-4f);
    }

    @Test
    void aTokenOutsideTheVocabIsTheClientsError() throws Exception {
        Decoder decoder = load(DecoderModels.builder(), "m").decoder();
        KvCache empty = decoder.empty(1);
        open.add(empty);
        assertThatThrownBy(() -> decoder.run(new long[][] {{1, 100_000}}, ones(1, 2), new long[][] {range(0, 2)},
                empty)).isInstanceOf(dev.ember.runtime.api.InvalidInputException.class)
                .hasMessageContaining("out of range");
        assertThatThrownBy(() -> decoder.run(new long[][] {{1, 2}}, ones(1, 3), new long[][] {range(0, 2)}, empty))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("attention_mask");
    }

    private static float[] fullLogits(Decoder decoder, long[] ids) {
        DecoderOutput out = decoder.run(new long[][] {ids}, ones(1, ids.length), new long[][] {range(0, ids.length)},
                decoder.empty(1));
        out.present().close();
        return out.logits()[0];
    }

    private static void assertClose(float[] actual, float[] expected, float tolerance) {
        assertThat(actual).hasSameSizeAs(expected);
        for (int i = 0; i < actual.length; i++) {
            assertThat(actual[i]).as("logit %d", i).isCloseTo(expected[i], within(tolerance));
        }
    }

    private static long[][] appendOne(long[][] mask) {
        long[][] out = new long[mask.length][];
        for (int r = 0; r < mask.length; r++) {
            out[r] = Arrays.copyOf(mask[r], mask[r].length + 1);
            out[r][mask[r].length] = 1;
        }
        return out;
    }

    private static long[][] ones(int rows, int columns) {
        long[][] m = new long[rows][columns];
        for (long[] r : m) Arrays.fill(r, 1);
        return m;
    }

    private static long[] range(int from, int to) {
        long[] r = new long[to - from];
        for (int i = 0; i < r.length; i++) r[i] = from + i;
        return r;
    }

    private static long[] unbox(List<Long> v) {
        return v.stream().mapToLong(Long::longValue).toArray();
    }

    private static long argmax(float[] v) {
        int best = 0;
        for (int i = 1; i < v.length; i++) if (v[i] > v[best]) best = i;
        return best;
    }
}
