package dev.ember.runtime.onnx;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ember.runtime.api.ModelId;
import dev.ember.runtime.config.TestConfig;
import dev.ember.runtime.testing.DecoderModels;
import dev.ember.runtime.testing.FixtureModels;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A session opened from a generator's directory gets the generator's thread budget; any other model its function's. */
class GeneratorThreadsTest {

    @TempDir
    Path dir;

    final SessionFactory factory = new SessionFactory(
            TestConfig.ember(Map.of("ember.device", "cpu", "ember.functions.gen.concurrency", "2",
                    "ember.functions.plain.concurrency", "2")),
            new SimpleMeterRegistry());

    @Test
    void aGeneratorsSessionTakesEveryCpuAndAnotherModelItsShare() throws Exception {
        int cpus = Runtime.getRuntime().availableProcessors();
        Path generator = DecoderModels.builder().write(dir.resolve("gen")).resolve("model.onnx");
        ThreadBudget gen = factory.threads(new ModelId("gen", 1),
                new SessionFactory.Model(generator.toString(), null, Files.size(generator)));
        assertThat(gen.concurrency()).isEqualTo(1);
        assertThat(gen.intraOpThreads()).isEqualTo(cpus);

        Path plain = Files.write(dir.resolve("plain.onnx"), FixtureModels.add());
        ThreadBudget other = factory.threads(new ModelId("plain", 1),
                new SessionFactory.Model(plain.toString(), null, Files.size(plain)));
        assertThat(other.concurrency()).isEqualTo(2);
        assertThat(other.intraOpThreads()).isEqualTo(Math.max(1, cpus / 2));
    }
}
