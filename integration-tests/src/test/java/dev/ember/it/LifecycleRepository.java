package dev.ember.it;

import dev.ember.runtime.testing.FixtureModels;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * A directory repository for the warm pool's lifecycle: models of known sizes under a memory budget that holds the
 * pinned model and two of the three {@code lru_*} models (never the pinned model and {@code big}), a pinned model,
 * short idle timeouts, batched and dynamically quantized models, and a management token. The repository root is
 * injected into the test's {@link Path} field, so a test can add a model and load it.
 */
public class LifecycleRepository implements QuarkusTestResourceLifecycleManager {

    static final String TOKEN = "lifecycle-secret-42";
    static final byte[] CHAIN = FixtureModels.matmulChain(1, 64);
    static final byte[] BIG = FixtureModels.matmulChain(3, 64);
    static final long BUDGET = 3 * CHAIN.length + CHAIN.length / 2;

    private Path root;

    @Override
    public Map<String, String> start() {
        // small models (add, linear, dynamic_quant) together stay far below the budget's spare half model
        if (CHAIN.length + BIG.length <= BUDGET || BIG.length > BUDGET) {
            throw new IllegalStateException("fixture sizes do not give the budget its intended shape");
        }
        try {
            root = Files.createTempDirectory("ember-lifecycle");
            write("pinned", 1, CHAIN);
            write("lru_a", 1, CHAIN);
            write("lru_b", 1, CHAIN);
            write("lru_c", 1, CHAIN);
            write("big", 1, BIG);
            write("idle", 1, FixtureModels.linear());
            write("cold", 1, FixtureModels.add());
            write("linear", 1, FixtureModels.linear());
            write("linear", 2, FixtureModels.linearV2());
            write("linear_batched", 1, FixtureModels.linear());
            write("dynamic_quant", 1, FixtureModels.dynamicQuant());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Map<String, String> config = new HashMap<>();
        config.put("ember.repository.path", root.toString());
        config.put("ember.pool.memory-budget", String.valueOf(BUDGET));
        config.put("ember.management.token", TOKEN);
        config.put("ember.functions.pinned.min-warm", "true");
        config.put("ember.functions.pinned.idle-timeout", "1s");
        config.put("ember.functions.idle.idle-timeout", "1s");
        config.put("ember.functions.linear_batched.batch.max-size", "64");
        config.put("ember.functions.linear_batched.batch.max-delay", "50ms");
        config.put("ember.functions.dynamic_quant.batch.max-size", "64");
        config.put("ember.functions.dynamic_quant.batch.max-delay", "50ms");
        // the shipped embed function must not take the small budget, whatever its shipped settings
        config.put("ember.functions.embed.min-warm", "false");
        return config;
    }

    private void write(String model, int version, byte[] bytes) throws IOException {
        Path file = root.resolve(model).resolve(String.valueOf(version)).resolve("model.onnx");
        Files.createDirectories(file.getParent());
        Files.write(file, bytes);
    }

    @Override
    public void inject(TestInjector injector) {
        injector.injectIntoFields(root, new TestInjector.MatchesType(Path.class));
    }

    @Override
    public void stop() {
        // the temp directory is left for post-mortem inspection; it is small
    }
}
