package dev.ember.runtime.onnx;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assumptions.assumeThat;

import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtLoggingLevel;
import java.io.IOException;
import java.lang.reflect.Field;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The process's ONNX Runtime environment is Ember's: created first, quiet on stderr, and loaded from native
 * libraries extracted once into a private directory that survives a crash without leaving copies behind.
 */
class OnnxEnvironmentTest {

    @TempDir
    Path dir;

    @Test
    void theEnvironmentIsCreatedByEmberWithItsLoggingLevel() throws Exception {
        OrtEnvironment env = OnnxEnvironment.get();
        assertThat(OnnxEnvironment.get("error")).isSameAs(env).isSameAs(OrtEnvironment.getEnvironment());
        assertThat(field("curLogLevel")).isEqualTo(OrtLoggingLevel.ORT_LOGGING_LEVEL_FATAL);
        assertThat(field("curLoggingName")).isEqualTo("ember");
        assertThat(OnnxEnvironment.loggingLevel("Error")).isEqualTo(OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR);
        assertThatThrownBy(() -> OnnxEnvironment.loggingLevel("loud")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("ember.onnx.log-level");
    }

    @Test
    void onnxRuntimeIsLoadedFromEmbersPrivateDirectory() throws Exception {
        OnnxEnvironment.get();
        String path = System.getProperty(NativeLibraries.NATIVE_PATH);
        assertThat(path).contains("ember-native-" + NativeLibraries.uid());
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(Path.of(path)))).isEqualTo("rwx------");
        Path maps = Path.of("/proc/self/maps");
        assumeThat(Files.isReadable(maps)).isTrue();
        assertThat(Files.readAllLines(maps)).anySatisfy(line -> assertThat(line)
                .endsWith(Path.of(path, System.mapLibraryName("onnxruntime")).toString()));
    }

    @Test
    void extractionHappensOnceAndIsReused() throws Exception {
        String platform = NativeLibraries.platform().orElseThrow();
        Path base = dir.resolve("ember-native-test");
        Path libs = NativeLibraries.extract(base, platform).orElseThrow();
        Path lib = libs.resolve(System.mapLibraryName("onnxruntime"));
        assertThat(Files.size(lib)).isGreaterThan(1 << 20);
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(base))).isEqualTo("rwx------");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(libs))).isEqualTo("rwx------");
        Object inode = Files.readAttributes(lib, BasicFileAttributes.class).fileKey();

        assertThat(NativeLibraries.extract(base, platform)).contains(libs);
        assertThat(Files.readAttributes(lib, BasicFileAttributes.class).fileKey()).isEqualTo(inode);
        try (var files = Files.list(libs)) {
            assertThat(files.map(p -> p.getFileName().toString())).noneMatch(n -> n.endsWith(".partial"));
        }

        // a truncated copy is replaced, not loaded
        Files.write(lib, new byte[10]);
        NativeLibraries.extract(base, platform);
        assertThat(Files.size(lib)).isGreaterThan(1 << 20);
    }

    @Test
    void aDirectoryOthersCanWriteOrALinkIsNotUsed() throws Exception {
        String platform = NativeLibraries.platform().orElseThrow();
        Path open = Files.createDirectory(dir.resolve("open"));
        Files.setPosixFilePermissions(open, PosixFilePermissions.fromString("rwxrwxrwx"));
        assertThatThrownBy(() -> NativeLibraries.extract(open, platform)).isInstanceOf(IOException.class)
                .hasMessageContaining("open to other users");
        Path link = Files.createSymbolicLink(dir.resolve("link"), Files.createDirectory(dir.resolve("target")));
        assertThatThrownBy(() -> NativeLibraries.extract(link, platform)).isInstanceOf(IOException.class)
                .hasMessageContaining("not a directory");
    }

    static Object field(String name) throws Exception {
        Field f = OrtEnvironment.class.getDeclaredField(name);
        f.setAccessible(true);
        return f.get(null);
    }
}
