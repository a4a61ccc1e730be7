package dev.ember.runtime.pool;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ember.runtime.api.ModelId;
import dev.ember.runtime.config.TestConfig;
import dev.ember.runtime.onnx.LoadedModel;
import dev.ember.runtime.onnx.SessionFactory;
import dev.ember.runtime.testing.DecoderModels;
import dev.ember.runtime.testing.TestBeans;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A pinned generator is warmed with a real first step: one token on an empty past. */
class FunctionWarmUpDecoderTest {

    @TempDir
    Path dir;

    @Test
    void aDecoderIsWarmedWithAOneTokenPromptPass() throws Exception {
        Path model = DecoderModels.builder().kvHeads(2).write(dir.resolve("gen")).resolve("model.onnx");
        SessionFactory factory = TestBeans.create(SessionFactory.class,
                TestConfig.ember(Map.of("ember.device", "cpu")), new SimpleMeterRegistry());
        try (LoadedModel loaded = factory.create(new ModelId("gen", 1), Files.readAllBytes(model))) {
            // one row, one token: the cache of exactly one token, as a real first step makes
            assertThat(FunctionWarmUp.warmDecoder(loaded)).isEqualTo(loaded.decoder().layout().bytesPerToken());
            assertThat(loaded.isClosed()).isFalse();
        }
    }
}
