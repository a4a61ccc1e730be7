package dev.ember.runtime.onnx;

import dev.ember.runtime.api.ModelLoadException;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ember.runtime.api.DataType;
import dev.ember.runtime.api.ModelId;
import dev.ember.runtime.api.Tensor;
import dev.ember.runtime.api.UnavailableException;
import dev.ember.runtime.config.TestConfig;
import dev.ember.runtime.testing.FixtureModels;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class SessionFactoryTest {

    final SimpleMeterRegistry registry = new SimpleMeterRegistry();

    SessionFactory factory(String device) {
        return new SessionFactory(TestConfig.ember(Map.of("ember.device", device)), registry);
    }

    static Map<String, Tensor> addInputs(float a) {
        return Map.of("a", Tensor.ofFloats(new long[] {1, 3}, new float[] {a, a, a}),
                "b", Tensor.ofFloats(new long[] {1, 3}, new float[] {1, 2, 3}));
    }

    @Test
    void forcedCudaFallsBackToCpuAndCountsIt() throws Exception {
        try (LoadedModel model = factory("cuda:0").create(new ModelId("add", 1), FixtureModels.add())) {
            assertThat(model.device()).isEqualTo("cpu");
            float[] sum = new float[3];
            model.run(addInputs(1), Set.of()).get("sum").floats().get(sum);
            assertThat(sum).containsExactly(2, 3, 4);
        }
        assertThat(registry.get("ember.device.fallbacks").tag("reason", "no_cuda_provider").counter().count())
                .isEqualTo(1.0);
    }

    @Test
    void cpuDeviceNeverTriesCuda() throws Exception {
        try (LoadedModel model = factory("cpu").create(new ModelId("add", 1), FixtureModels.add())) {
            assertThat(model.device()).isEqualTo("cpu");
            assertThat(model.signature().inputs()).extracting(t -> t.name()).containsExactly("a", "b");
            assertThat(model.signature().outputs().get(0).datatype()).isEqualTo(DataType.FP32);
        }
        assertThat(registry.find("ember.device.fallbacks").counter()).isNull();
    }

    @Test
    void invalidDeviceIsAConfigurationError() {
        assertThatThrownBy(() -> factory("tpu")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("ember.device");
    }

    @Test
    void detectsDynamicQuantization() throws Exception {
        SessionFactory f = factory("cpu");
        try (LoadedModel q = f.create(new ModelId("q", 1), FixtureModels.dynamicQuant());
                LoadedModel plain = f.create(new ModelId("p", 1), FixtureModels.add())) {
            assertThat(q.dynamicallyQuantized()).isTrue();
            assertThat(plain.dynamicallyQuantized()).isFalse();
        }
    }

    @Test
    void invalidModelBytesFailWithAClearError() {
        assertThatThrownBy(() -> factory("cpu").create(new ModelId("bad", 1), "not onnx".getBytes()))
                .isInstanceOf(dev.ember.runtime.api.ModelLoadException.class)
                .hasMessageContaining("bad/1").hasMessageContaining("not a valid ONNX model");
    }

    @Test
    void closeWaitsForRunsInFlightAndRefusesNewOnes() throws Exception {
        LoadedModel model = factory("cpu").create(new ModelId("add", 1), FixtureModels.add());
        ExecutorService pool = Executors.newFixedThreadPool(8);
        // every worker has run a few times before the close, so runs are in flight when it comes
        CountDownLatch warm = new CountDownLatch(8);
        List<Future<Integer>> runs = new ArrayList<>();
        for (int t = 0; t < 8; t++) {
            runs.add(pool.submit(() -> {
                int ok = 0;
                // runs until the close refuses one: only the close can end this loop
                for (int i = 0; ; i++) {
                    try {
                        float[] sum = new float[3];
                        model.run(addInputs(i), Set.of()).get("sum").floats().get(sum);
                        assertThat(sum[0]).isEqualTo(i + 1f);
                        if (++ok == 5) {
                            warm.countDown();
                        }
                    } catch (UnavailableException e) {
                        return ok; // closed: no new runs, and never a crash of a run in flight
                    }
                }
            }));
        }
        assertThat(warm.await(30, TimeUnit.SECONDS)).isTrue();
        model.close();
        model.close(); // idempotent
        int completed = 0;
        for (Future<Integer> f : runs) {
            completed += f.get(30, TimeUnit.SECONDS);
        }
        pool.shutdown();
        assertThat(model.isClosed()).isTrue();
        assertThat(completed).isGreaterThanOrEqualTo(8 * 5);
        assertThatThrownBy(() -> model.run(addInputs(1), Set.of())).isInstanceOf(UnavailableException.class);
    }
}
