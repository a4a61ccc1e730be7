package dev.ember.runtime.traffic;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ember.runtime.api.ConflictException;
import dev.ember.runtime.api.ModelId;
import dev.ember.runtime.config.EmberConfig;
import dev.ember.runtime.config.TestConfig;
import dev.ember.runtime.repository.ModelCatalog;
import dev.ember.runtime.testing.TestBeans;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A failed or absent version never receives traffic; a version new since start takes it only once it loaded. */
class TrafficHealthTest {

    /** Health as a test sets it. */
    static final class Health implements VersionHealth {
        static final Health ALL_GOOD = new Health();
        final Set<ModelId> failed = new HashSet<>();
        final Set<ModelId> loaded = new HashSet<>();

        @Override
        public Optional<String> failure(ModelId id) {
            return failed.contains(id) ? Optional.of("not a valid ONNX model") : Optional.empty();
        }

        @Override
        public boolean loadedOnce(ModelId id) {
            return loaded.contains(id);
        }
    }

    @TempDir
    Path root;
    final Health health = new Health();
    ModelCatalog catalog;
    TrafficRouter router;

    void version(int v) throws IOException {
        Path file = root.resolve("m").resolve(String.valueOf(v)).resolve("model.onnx");
        Files.createDirectories(file.getParent());
        Files.write(file, new byte[] {1});
    }

    void start() {
        EmberConfig config = TestConfig.ember(Map.of("ember.repository.path", root.toString()));
        catalog = TestBeans.create(ModelCatalog.class, config);
        router = TestBeans.create(TrafficRouter.class, catalog, config, new SimpleMeterRegistry(), health);
    }

    int chosen() {
        return router.choose("m", OptionalInt.empty(), Optional.empty()).version();
    }

    @Test
    void aVersionAddedByARescanTakesTheDefaultRouteOnlyOnceItHasLoaded() throws IOException {
        version(1);
        start();
        assertThat(chosen()).isEqualTo(1);
        version(2);
        catalog.rescan();
        assertThat(chosen()).as("version 2 has not loaded yet").isEqualTo(1);
        assertThat(router.split("m").targets()).containsExactly(new TrafficSplit.Target(1, 100, null));
        assertThat(router.choose("m", OptionalInt.of(2), Optional.empty()).version()).as("a pin still reaches it")
                .isEqualTo(2);
        health.loaded.add(new ModelId("m", 2));
        assertThat(chosen()).isEqualTo(2);
    }

    @Test
    void aBrokenNewVersionNeverTakesTheDefaultRouteAndAFailedOneGivesItBack() throws IOException {
        version(1);
        version(2);
        start();
        assertThat(chosen()).isEqualTo(2);
        health.failed.add(new ModelId("m", 2));
        assertThat(chosen()).isEqualTo(1);
        version(3);
        catalog.rescan();
        health.failed.add(new ModelId("m", 3));
        assertThat(chosen()).isEqualTo(1);
    }

    @Test
    void trafficOntoAFailedVersionIsRefusedWithTheReason() throws IOException {
        version(1);
        version(2);
        start();
        health.failed.add(new ModelId("m", 2));
        TrafficSplit onto2 = new TrafficSplit(List.of(new TrafficSplit.Target(1, 0, null),
                new TrafficSplit.Target(2, 100, null)));
        assertThatThrownBy(() -> router.replace("m", onto2)).isInstanceOf(ConflictException.class)
                .hasMessageContaining("version 2").hasMessageContaining("not a valid ONNX model");
        // a tag at 0% onto it is allowed: it takes no unpinned traffic
        TrafficSplit tagged = new TrafficSplit(List.of(new TrafficSplit.Target(1, 100, "stable"),
                new TrafficSplit.Target(2, 0, "candidate")));
        assertThat(router.replace("m", tagged).targets()).hasSize(2);
    }

    @Test
    void aDeletedVersionLeavesTheSplitAndItsShareGoesToTheLargestRemainingTarget() throws IOException {
        version(1);
        version(2);
        version(3);
        start();
        router.replace("m", new TrafficSplit(List.of(new TrafficSplit.Target(1, 30, "old"),
                new TrafficSplit.Target(2, 50, "stable"), new TrafficSplit.Target(3, 20, "candidate"))));
        deleteVersion(3);
        catalog.rescan();
        assertThat(router.split("m").targets()).containsExactly(new TrafficSplit.Target(1, 30, "old"),
                new TrafficSplit.Target(2, 70, "stable"));
        for (int i = 0; i < 200; i++) {
            assertThat(chosen()).isIn(1, 2);
        }
        deleteVersion(1);
        deleteVersion(2);
        version(4);
        catalog.rescan();
        assertThat(router.split("m").targets()).as("nothing left of the split: the default route")
                .containsExactly(new TrafficSplit.Target(4, 100, null));
    }

    void deleteVersion(int v) throws IOException {
        Path dir = root.resolve("m").resolve(String.valueOf(v));
        Files.delete(dir.resolve("model.onnx"));
        Files.delete(dir);
    }
}
