package dev.ember.runtime.repository;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ember.runtime.api.ModelId;
import dev.ember.runtime.api.ModelLoadException;
import dev.ember.runtime.config.TestConfig;
import dev.ember.runtime.testing.DecoderModels;
import dev.ember.runtime.testing.FixtureModels;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A configured model may name its directory (Optimum's layout) instead of its model.onnx. */
class ModelDirectoryTest {

    @TempDir
    Path dir;

    @Test
    void aConfiguredDirectoryResolvesToItsModelFile() throws Exception {
        Path gen = DecoderModels.builder().write(dir.resolve("gen"));
        ModelCatalog catalog = new ModelCatalog(TestConfig.ember(Map.of("ember.functions.chat.model", gen.toString())));
        ModelSource source = catalog.find(new ModelId("chat", 1)).orElseThrow();
        ModelFile file = source.verify(source.locate());
        assertThat(file.path()).isEqualTo(gen.resolve("model.onnx").toRealPath());
        assertThat(file.sizeBytes()).isEqualTo(Files.size(gen.resolve("model.onnx")));
        assertThat(source.generatorDirectory()).contains(gen);
    }

    @Test
    void aDirectoryWithoutModelFileIsRefused() throws Exception {
        Path empty = Files.createDirectories(dir.resolve("empty"));
        ModelSource source = new ModelSource(new ModelId("x", 1), empty.toString(), Optional.empty());
        assertThatThrownBy(source::locate).isInstanceOf(ModelLoadException.class).hasMessageContaining("model.onnx");
        assertThat(source.generatorDirectory()).isEmpty();
    }

    @Test
    void generatorsAreToldApartWithoutLoading() throws Exception {
        Path gen = DecoderModels.builder().write(dir.resolve("gen"));
        assertThat(new ModelSource(new ModelId("g", 1), gen.resolve("model.onnx").toString(), Optional.empty())
                .generatorDirectory()).contains(gen);
        assertThat(ModelSource.looksLikeGenerator(gen)).isTrue();

        Path plain = dir.resolve("plain/model.onnx");
        Files.createDirectories(plain.getParent());
        Files.write(plain, FixtureModels.add());
        assertThat(new ModelSource(new ModelId("p", 1), plain.toString(), Optional.empty()).generatorDirectory())
                .isEmpty();
        // a tokenizer alone (an embedding model's directory) is not a generator
        Files.writeString(plain.resolveSibling("tokenizer.json"), "{}");
        assertThat(ModelSource.looksLikeGenerator(plain.getParent())).isFalse();
        assertThat(new ModelSource(new ModelId("c", 1), "classpath:models/add.onnx", Optional.empty())
                .generatorDirectory()).isEmpty();
    }
}
