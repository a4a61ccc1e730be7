package dev.ember.runtime.invoke;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ember.runtime.batch.Batchers;
import dev.ember.runtime.codec.JsonBodies;
import dev.ember.runtime.pool.InFlightBudget;
import dev.ember.runtime.pool.PoolFixture;
import dev.ember.runtime.testing.TestBeans;
import dev.ember.runtime.traffic.TrafficRouter;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/** A real {@link DataPlane} over a {@link PoolFixture}, with no Java functions: every model is a tensor function. */
final class DataPlaneFixture implements AutoCloseable {

    final PoolFixture pool;
    final Batchers batchers;
    final DataPlane dataPlane;
    final VersionGuards guards;
    final InFlightBudget budget;

    DataPlaneFixture(Path root, Map<String, byte[]> models, Map<String, String> properties) {
        this(root, models, properties, Executors.newCachedThreadPool());
    }

    /** With these inference threads. */
    DataPlaneFixture(Path root, Map<String, byte[]> models, Map<String, String> properties, ExecutorService workers) {
        pool = new PoolFixture(root, models, properties);
        batchers = TestBeans.create(Batchers.class, pool.config, pool.registry, workers);
        guards = new VersionGuards(pool.config, pool.registry);
        budget = TestBeans.create(InFlightBudget.class, pool.config, pool.registry);
        dataPlane = new DataPlane(new FunctionRegistry(List.of(), pool.catalog, pool.config),
                TestBeans.create(TrafficRouter.class, pool.catalog, pool.config, pool.registry, pool.pool),
                pool.pool, batchers, new InvocationMetrics(pool.registry), guards,
                TestBeans.create(JsonBodies.class, new ObjectMapper(), pool.config), pool.catalog, pool.config,
                budget);
    }

    @Override
    public void close() {
        dataPlane.shutdown();
        pool.close();
    }
}
