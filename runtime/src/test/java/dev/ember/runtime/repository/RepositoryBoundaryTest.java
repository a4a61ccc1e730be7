package dev.ember.runtime.repository;

import dev.ember.runtime.api.ModelLoadException;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ember.runtime.api.ModelId;
import dev.ember.runtime.config.TestConfig;
import dev.ember.runtime.testing.FixtureModels;
import dev.ember.runtime.testing.TestBeans;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Nothing outside the repository root is ever served: names that could step out are invalid, links that lead out
 * are skipped, and a pinned checksum is checked before a model's bytes are used.
 */
class RepositoryBoundaryTest {

    @TempDir
    Path dir;

    @Test
    void namesThatCouldLeaveTheRootAreInvalid() {
        for (String name : new String[] {"..", "../etc", "a/../../b", "%2e%2e", "%2E%2E%2Fetc", "/etc/passwd",
                "C:\\models", "a/b", "a\\b", ".hidden", "a..b", "", " add", "add\u0000", "x".repeat(129)}) {
            assertThat(ModelNames.isValidName(name)).as(name).isFalse();
        }
        assertThat(ModelNames.isValidName(null)).isFalse();
        for (String name : new String[] {"add", "linear_v2", "all-MiniLM-L6-v2", "embed.q8", "x".repeat(128)}) {
            assertThat(ModelNames.isValidName(name)).as(name).isTrue();
        }
    }

    @Test
    void versionsArePositiveDecimalNumbersOnly() {
        for (String version : new String[] {"0", "-1", "01", "1.0", "1e3", "%31", "1/../2", "..", "9999999999", ""}) {
            assertThat(ModelNames.parseVersion(version)).as(version).isEqualTo(-1);
        }
        assertThat(ModelNames.parseVersion("7")).isEqualTo(7);
        assertThat(ModelNames.parseVersion("999999999")).isEqualTo(999_999_999);
    }

    @Test
    void linksLeadingOutOfTheRootAreNotFollowedButLinksInsideItAre() throws Exception {
        Path root = Files.createDirectories(dir.resolve("repo"));
        Path outside = Files.createDirectories(dir.resolve("outside"));
        write(root.resolve("add/1/model.onnx"), FixtureModels.add());
        write(outside.resolve("stolen/1/model.onnx"), FixtureModels.add());
        write(outside.resolve("secret.onnx"), "not for serving".getBytes(StandardCharsets.UTF_8));
        // a model directory that is a link out of the root
        Files.createSymbolicLink(root.resolve("escape_dir"), outside.resolve("stolen"));
        // a model file that is a link out of the root
        Files.createDirectories(root.resolve("escape_file/1"));
        Files.createSymbolicLink(root.resolve("escape_file/1/model.onnx"), outside.resolve("secret.onnx"));
        // a version directory that is a link out of the root
        Files.createDirectories(root.resolve("escape_version"));
        Files.createSymbolicLink(root.resolve("escape_version/1"), outside.resolve("stolen/1"));
        // links that stay inside the root are fine (volume mounts are made of them)
        Files.createSymbolicLink(root.resolve("alias"), root.resolve("add"));
        Files.createDirectories(root.resolve("relinked/1"));
        Files.createSymbolicLink(root.resolve("relinked/1/model.onnx"), Path.of("../../add/1/model.onnx"));

        ModelCatalog catalog = TestBeans.create(ModelCatalog.class,
                TestConfig.ember(Map.of("ember.repository.path", root.toString())));

        assertThat(catalog.models()).containsExactly("add", "alias", "relinked");
        for (String model : new String[] {"escape_dir", "escape_file", "escape_version", "..", "../outside/stolen",
                outside.resolve("stolen").toString()}) {
            assertThat(catalog.find(new ModelId(model, 1))).as(model).isEmpty();
        }
        assertThat(catalog.find(new ModelId("relinked", 1)).orElseThrow().read()).isEqualTo(FixtureModels.add());
    }

    @Test
    void aLinkSwappedInAfterTheScanIsRefusedAtLoadTime() throws Exception {
        Path root = Files.createDirectories(dir.resolve("repo"));
        Path outside = Files.createDirectories(dir.resolve("outside"));
        write(root.resolve("add/1/model.onnx"), FixtureModels.add());
        write(outside.resolve("secret.onnx"), FixtureModels.linear());
        ModelCatalog catalog = TestBeans.create(ModelCatalog.class,
                TestConfig.ember(Map.of("ember.repository.path", root.toString())));
        ModelSource source = catalog.find(new ModelId("add", 1)).orElseThrow();
        assertThat(source.read()).isEqualTo(FixtureModels.add());

        Files.delete(root.resolve("add/1/model.onnx"));
        Files.createSymbolicLink(root.resolve("add/1/model.onnx"), outside.resolve("secret.onnx"));
        assertThatThrownBy(source::locate).isInstanceOf(ModelLoadException.class)
                .hasMessageContaining("add/1").hasMessageContaining("outside the repository root")
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain(outside.toString()));
        assertThatThrownBy(source::read).isInstanceOf(ModelLoadException.class);

        // the version directory swapped for a link out of the root, too
        Files.delete(root.resolve("add/1/model.onnx"));
        Files.delete(root.resolve("add/1"));
        Files.createDirectories(outside.resolve("v1"));
        write(outside.resolve("v1/model.onnx"), FixtureModels.linear());
        Files.createSymbolicLink(root.resolve("add/1"), outside.resolve("v1"));
        assertThatThrownBy(source::locate).isInstanceOf(ModelLoadException.class)
                .hasMessageContaining("outside the repository root");
    }

    @Test
    void aPinnedChecksumIsVerifiedBeforeTheBytesAreUsed() throws Exception {
        Path root = dir.resolve("repo");
        byte[] add = FixtureModels.add();
        write(root.resolve("add/1/model.onnx"), add);
        String right = ModelSource.sha256(add);
        String wrong = "0".repeat(64);

        ModelCatalog pinnedRight = TestBeans.create(ModelCatalog.class, TestConfig.ember(Map.of(
                "ember.repository.path", root.toString(), "ember.functions.add.versions.1.sha256", right)));
        assertThat(pinnedRight.find(new ModelId("add", 1)).orElseThrow().read()).isEqualTo(add);

        ModelCatalog pinnedWrong = TestBeans.create(ModelCatalog.class, TestConfig.ember(Map.of(
                "ember.repository.path", root.toString(), "ember.functions.add.versions.1.sha256", wrong)));
        assertThatThrownBy(() -> pinnedWrong.find(new ModelId("add", 1)).orElseThrow().read())
                .isInstanceOf(ModelLoadException.class)
                .hasMessageContaining("has sha256 " + right).hasMessageContaining("pinned to " + wrong);

        // a file swapped after the pin was written is refused the same way
        write(root.resolve("add/1/model.onnx"), FixtureModels.linear());
        assertThatThrownBy(() -> pinnedRight.find(new ModelId("add", 1)).orElseThrow().read())
                .isInstanceOf(ModelLoadException.class).hasMessageContaining("pinned to " + right);

        // and one changed after it was verified, before the session was created from it, is refused too
        ModelSource source = pinnedRight.find(new ModelId("add", 1)).orElseThrow();
        write(root.resolve("add/1/model.onnx"), add);
        ModelFile verified = source.verify(source.locate());
        source.confirm(verified);
        byte[] same = add.clone();
        same[same.length - 1] ^= 1;
        Thread.sleep(20);
        write(root.resolve("add/1/model.onnx"), same);
        assertThatThrownBy(() -> source.confirm(verified)).isInstanceOf(ModelLoadException.class)
                .hasMessageContaining("changed while it was being loaded");

        assertThatThrownBy(() -> new ModelSource(new ModelId("add", 1), "x", Optional.of("abc")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("64 hex digits");
    }

    private static void write(Path file, byte[] bytes) throws IOException {
        Files.createDirectories(file.getParent());
        Files.write(file, bytes);
    }
}
