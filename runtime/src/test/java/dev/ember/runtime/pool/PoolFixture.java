package dev.ember.runtime.pool;

import dev.ember.runtime.testing.FixtureModels;
import dev.ember.runtime.config.EmberConfig;
import dev.ember.runtime.config.TestConfig;
import dev.ember.runtime.host.HostFacts;
import dev.ember.runtime.onnx.SessionFactory;
import dev.ember.runtime.repository.ModelCatalog;
import dev.ember.runtime.testing.TestBeans;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;

import java.io.IOException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;

/**
 * A real {@link WarmPool} over a directory repository of the given models (each as version 1), on the CPU, with
 * its own meter registry; the properties add per-function settings.
 */
public final class PoolFixture implements AutoCloseable {

    public final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    public final EmberConfig config;
    public final ModelCatalog catalog;
    public final WarmPool pool;

    public PoolFixture(Path root, Map<String, byte[]> models, Map<String, String> properties, WarmUp warmUp) {
        models.forEach((name, bytes) -> FixtureModels.write(root.resolve(name).resolve("1").resolve("model.onnx"),
                bytes));
        Map<String, String> all = new HashMap<>(properties);
        all.put("ember.repository.path", root.toString());
        all.putIfAbsent("ember.device", "cpu");
        config = TestConfig.ember(all);
        catalog = TestBeans.create(ModelCatalog.class, config);
        pool = new WarmPool(catalog, TestBeans.create(SessionFactory.class, config, registry), registry, config,
                warmUp, HostFacts.none());
    }

    public PoolFixture(Path root, Map<String, byte[]> models, Map<String, String> properties) {
        this(root, models, properties, model -> model.run(WarmUp.sampleInputs(model.signature()), Set.of()));
    }

    /** The count of a counter with these tags, 0 when it was never registered. */
    public double count(String name, String... tags) {
        var counter = registry.find(name).tags(tags).counters();
        return counter.stream().mapToDouble(c -> c.count()).sum();
    }

    @Override
    public void close() {
        pool.shutdown();
    }
}
