package dev.ember.runtime.pool;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ember.runtime.api.ModelId;
import dev.ember.runtime.api.UnavailableException;
import dev.ember.runtime.testing.FixtureModels;
import java.io.RandomAccessFile;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A load ends warm or failed, whatever goes wrong in it, and a model too big for the budget is never read. */
class LoadFailuresTest {

    static final ModelId ADD = new ModelId("add", 1);

    @TempDir
    Path root;

    PoolFixture fixture;

    @AfterEach
    void close() {
        if (fixture != null) {
            fixture.close();
        }
    }

    @Test
    void anErrorDuringTheLoadFailsTheVersionWithItsCause() throws Exception {
        fixture = new PoolFixture(root, Map.of("add", FixtureModels.add()),
                Map.of("ember.functions.add.min-warm", "true"), model -> {
                    throw new OutOfMemoryError("Java heap space");
                });
        assertThatThrownBy(() -> fixture.pool.load(ADD).get(30, TimeUnit.SECONDS))
                .isInstanceOf(ExecutionException.class).cause().isInstanceOf(UnavailableException.class)
                .hasMessageContaining("add/1").hasMessageContaining("OutOfMemoryError: Java heap space");
        assertThat(fixture.pool.state(ADD)).isEqualTo(ModelState.FAILED);
        assertThat(fixture.pool.error(ADD)).hasValueSatisfying(e -> assertThat(e).contains("OutOfMemoryError"));
        assertThat(fixture.pool.loadedBytes()).isZero();
        assertThat(fixture.count("ember.model.loads", "outcome", "failure")).isEqualTo(1.0);
    }

    @Test
    void anErrorDuringTheLoadOfAnUnpinnedVersionLetsUnloadAnswer() throws Exception {
        // a model file larger than a Java array can hold (sparse: it takes no disk)
        fixture = new PoolFixture(root, Map.of("add", FixtureModels.add()), Map.of());
        grow(root.resolve("add/1/model.onnx"), 3L << 30);
        assertThatThrownBy(() -> fixture.pool.load(ADD).get(30, TimeUnit.SECONDS))
                .isInstanceOf(ExecutionException.class).cause().isInstanceOf(UnavailableException.class);
        assertThat(fixture.pool.state(ADD)).isEqualTo(ModelState.FAILED);
        fixture.pool.unload(List.of(ADD)).get(30, TimeUnit.SECONDS);
        assertThat(fixture.pool.state(ADD)).isEqualTo(ModelState.UNLOADED);
    }

    @Test
    void theBudgetIsCheckedAgainstTheFileSizeBeforeTheFileIsRead() throws Exception {
        fixture = new PoolFixture(root, Map.of("add", FixtureModels.add()),
                Map.of("ember.pool.memory-budget", "1M"));
        grow(root.resolve("add/1/model.onnx"), 3L << 30);
        assertThatThrownBy(() -> fixture.pool.load(ADD).get(30, TimeUnit.SECONDS))
                .isInstanceOf(ExecutionException.class).cause().isInstanceOf(UnavailableException.class)
                .hasMessageContaining("needs " + (3L << 30) + " bytes")
                .hasMessageContaining("more than the whole ember.pool.memory-budget of 1048576 bytes");
        assertThat(fixture.pool.state(ADD)).isEqualTo(ModelState.FAILED);
        assertThat(fixture.pool.loadedBytes()).isZero();
    }

    static void grow(Path file, long size) throws Exception {
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
            f.setLength(size);
        }
    }
}
