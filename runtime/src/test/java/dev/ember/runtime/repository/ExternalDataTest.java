package dev.ember.runtime.repository;

import static dev.ember.runtime.testing.OnnxModelWriter.ElementType.FLOAT;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ember.runtime.api.ModelId;
import dev.ember.runtime.api.ModelLoadException;
import dev.ember.runtime.api.Tensor;
import dev.ember.runtime.config.TestConfig;
import dev.ember.runtime.onnx.LoadedModel;
import dev.ember.runtime.onnx.SessionFactory;
import dev.ember.runtime.testing.FixtureModels;
import dev.ember.runtime.testing.OnnxModelWriter;
import dev.ember.runtime.testing.TestBeans;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Sessions are created from the model's file: ONNX external data resolves beside the model (not in the working
 * directory), and locations that leave the model's directory are refused before ONNX Runtime sees them.
 */
class ExternalDataTest {

    static final ModelId EXT = new ModelId("ext", 1);
    static final float[] WEIGHTS = {10, 20, 30};

    @TempDir
    Path dir;

    /** y = x + w, w [1, 3] read from {@code location} at offset 8 (after 8 bytes of padding). */
    static byte[] model(String location) {
        return OnnxModelWriter.graph("ext").input("x", FLOAT, -1, 3)
                .externalInitializer("w", FLOAT, location, 8, 12, 1, 3)
                .node("Add", List.of("x", "w"), List.of("y"))
                .output("y", FLOAT, -1, 3).toBytes();
    }

    static byte[] weights() {
        byte[] raw = OnnxModelWriter.rawFloats(WEIGHTS);
        byte[] file = new byte[8 + raw.length];
        System.arraycopy(raw, 0, file, 8, raw.length);
        return file;
    }

    ModelCatalog catalog(Path root) {
        return TestBeans.create(ModelCatalog.class, TestConfig.ember(Map.of("ember.repository.path", root.toString())));
    }

    SessionFactory factory() {
        return TestBeans.create(SessionFactory.class, TestConfig.ember(Map.of("ember.device", "cpu")),
                new SimpleMeterRegistry());
    }

    ModelFile verified(ModelCatalog catalog) throws ModelLoadException {
        ModelSource source = catalog.find(EXT).orElseThrow();
        return source.verify(source.locate());
    }

    @Test
    void externalDataBesideTheModelIsFoundThereAndCounted() throws Exception {
        Path root = dir.resolve("repo");
        Path version = Files.createDirectories(root.resolve("ext/1"));
        Files.write(version.resolve("model.onnx"), model("weights.bin"));
        Files.write(version.resolve("weights.bin"), weights());

        ModelFile file = verified(catalog(root));
        assertThat(file.externalData()).containsExactly(version.resolve("weights.bin").toRealPath());
        assertThat(file.sizeBytes()).isEqualTo(Files.size(version.resolve("model.onnx")) + weights().length);
        try (LoadedModel model = factory().create(EXT, file)) {
            float[] y = new float[3];
            model.run(Map.of("x", Tensor.ofFloats(new long[] {1, 3}, new float[] {1, 2, 3})), Set.of())
                    .get("y").floats().get(y);
            assertThat(y).containsExactly(11, 22, 33);
            assertThat(model.sizeBytes()).isEqualTo(file.sizeBytes());
        }
    }

    @Test
    void locationsThatLeaveTheModelsDirectoryAreRefused() throws Exception {
        Path root = dir.resolve("repo");
        Path outside = Files.createDirectories(dir.resolve("outside"));
        Files.write(outside.resolve("secret.bin"), weights());
        Path version = Files.createDirectories(root.resolve("ext/1"));
        Files.createDirectories(root.resolve("ext/2"));
        Files.write(root.resolve("ext/2/weights.bin"), weights());
        for (String location : new String[] {"../../../outside/secret.bin", outside.resolve("secret.bin").toString(),
                "../2/weights.bin", "link.bin", "sub/../../1/../2/weights.bin", "."}) {
            Files.write(version.resolve("model.onnx"), model(location));
            Files.deleteIfExists(version.resolve("link.bin"));
            Files.createSymbolicLink(version.resolve("link.bin"), outside.resolve("secret.bin"));
            assertThatThrownBy(() -> verified(catalog(root))).as(location)
                    .isInstanceOf(ModelLoadException.class)
                    .hasMessageContaining("leaves the model's directory")
                    .satisfies(e -> assertThat(e.getMessage()).doesNotContain(outside.toString()));
        }
        Files.write(version.resolve("model.onnx"), model("missing.bin"));
        assertThatThrownBy(() -> verified(catalog(root))).isInstanceOf(ModelLoadException.class)
                .hasMessageContaining("missing.bin is missing beside the model");
    }

    @Test
    void onnxRuntimesLoadErrorsDoNotNameTheModelsAbsolutePath() throws Exception {
        Path root = dir.resolve("repo");
        Files.createDirectories(root.resolve("ext/1"));
        // a graph output no node produces: valid protobuf, invalid model
        Files.write(root.resolve("ext/1/model.onnx"), OnnxModelWriter.graph("broken").input("x", FLOAT, -1, 3)
                .output("y", FLOAT, -1, 3).toBytes());
        ModelSource source = catalog(root).find(EXT).orElseThrow();
        ModelFile file = source.verify(source.locate());
        assertThatThrownBy(() -> factory().create(EXT, file)).isInstanceOf(ModelLoadException.class)
                .hasMessageContaining("ext/1 is not a valid ONNX model")
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain(dir.toString()))
                .satisfies(e -> assertThat(e.getCause().getMessage()).contains(dir.toRealPath().toString()));
    }

    @Test
    void inMemoryModelsNamingExternalDataAreRefused() {
        assertThatThrownBy(() -> factory().create(EXT, model("weights.bin")))
                .isInstanceOf(ModelLoadException.class).hasMessageContaining("load it from its file");
    }

    @Test
    void aClasspathModelIsCopiedOnceToAPrivateFile() throws Exception {
        ModelSource source = new ModelSource(EXT, "classpath:dev/ember/runtime/api/ModelId.class", Optional.empty());
        ModelFile first = source.locate();
        ModelFile second = source.locate();
        assertThat(second.path()).isEqualTo(first.path());
        assertThat(second.identity()).isEqualTo(first.identity());
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(first.path()))).isEqualTo("rw-------");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(first.path().getParent())))
                .isEqualTo("rwx------");
        assertThat(first.sizeBytes()).isEqualTo(Files.size(first.path())).isPositive();
        assertThatThrownBy(() -> new ModelSource(EXT, "classpath:no/such.onnx", Optional.empty()).locate())
                .isInstanceOf(ModelLoadException.class).hasMessageContaining("no classpath resource");
    }

    @Test
    void aSessionFromTheRepositoryReadsTheFileNotTheHeapCopy() throws Exception {
        Path root = dir.resolve("repo");
        Files.createDirectories(root.resolve("ext/1"));
        Files.write(root.resolve("ext/1/model.onnx"), FixtureModels.add());
        ModelSource source = catalog(root).find(EXT).orElseThrow();
        try (LoadedModel model = factory().create(EXT, source.verify(source.locate()))) {
            assertThat(model.signature().inputs()).extracting(t -> t.name()).containsExactly("a", "b");
        }
    }
}
