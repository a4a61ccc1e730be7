package dev.ember.runtime.repository;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ember.runtime.testing.FixtureModels;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Arrays;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The cache that makes a model's second load, and the next start's, skip the copy, the checksum and the scan. */
class ModelCacheTest {

    // a resource inside a dependency jar, as the bundled models are
    private static final String IN_A_JAR = "org/junit/jupiter/api/Test.class";

    @TempDir
    Path root;

    @Test
    void aJarResourceIsMaterialisedOnceAndReusedByTheNextStart() throws Exception {
        Path first = ClasspathModels.under(root).file(IN_A_JAR).orElseThrow();
        Object identity = ModelSource.identity(first);
        // a new cache over the same directory: what the next process start sees
        Path again = ClasspathModels.under(root).file(IN_A_JAR).orElseThrow();
        assertThat(again).isEqualTo(first);
        assertThat(ModelSource.identity(again)).isEqualTo(identity);
        assertThat(Files.readAllBytes(again)).isEqualTo(resource());
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(first))).isEqualTo("rw-------");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(first.getParent())))
                .isEqualTo("rwx------");
        try (var files = Files.list(first.getParent())) {
            assertThat(files.map(f -> f.getFileName().toString())).containsExactly(first.getFileName().toString());
        }
        assertThat(ClasspathModels.under(root).file("no/such.onnx")).isEmpty();
    }

    @Test
    void aTruncatedCopyIsDetectedAndWrittenAgain() throws Exception {
        Path copy = ClasspathModels.under(root).file(IN_A_JAR).orElseThrow();
        byte[] whole = Files.readAllBytes(copy);
        Files.write(copy, Arrays.copyOf(whole, whole.length / 2));

        Path again = ClasspathModels.under(root).file(IN_A_JAR).orElseThrow();
        assertThat(again).isEqualTo(copy);
        assertThat(Files.readAllBytes(again)).isEqualTo(resource());
    }

    @Test
    void aCopyReplacedByOtherBytesOfTheSameSizeIsDetectedAndWrittenAgain() throws Exception {
        Path copy = ClasspathModels.under(root).file(IN_A_JAR).orElseThrow();
        byte[] garbage = new byte[(int) Files.size(copy)];
        Arrays.fill(garbage, (byte) 7);
        Path other = Files.write(root.resolve("garbage"), garbage);
        Files.move(other, copy, StandardCopyOption.REPLACE_EXISTING);

        Path again = ClasspathModels.under(root).file(IN_A_JAR).orElseThrow();
        assertThat(Files.readAllBytes(again)).isEqualTo(resource());
    }

    @Test
    void factsAreReusedWhileTheIdentityHoldsAndReadAgainWhenItChanges() throws Exception {
        Path model = Files.write(root.resolve("model.onnx"), FixtureModels.add());
        Path dir = root.resolve("facts");
        Object identity = ModelSource.identity(model);
        ModelFacts real = new FactsCache(Optional.of(dir)).of(model, identity);
        assertThat(real.sha256()).isEqualTo(ModelSource.sha256(FixtureModels.add()));
        assertThat(real.dynamicallyQuantized()).isFalse();

        // an entry the file could not have produced: returned, so the file was not read (a hit)
        ModelFacts planted = new ModelFacts("0".repeat(64), true);
        new FactsCache(Optional.of(dir)).put(identity, planted);
        assertThat(new FactsCache(Optional.of(dir)).of(model, identity)).isEqualTo(planted);

        // another file at the same path: another identity, a miss, the file is read
        Files.write(model, FixtureModels.dynamicQuant());
        Object changed = ModelSource.identity(model);
        assertThat(changed).isNotEqualTo(identity);
        ModelFacts reread = new FactsCache(Optional.of(dir)).of(model, changed);
        assertThat(reread.sha256()).isEqualTo(ModelSource.sha256(FixtureModels.dynamicQuant()));
        assertThat(reread.dynamicallyQuantized()).isTrue();
    }

    @Test
    void anEntryForAnotherIdentityIsAMiss() throws Exception {
        Path dir = root.resolve("facts");
        new FactsCache(Optional.of(dir)).put("one identity", new ModelFacts("1".repeat(64), false));
        Path entry;
        try (var files = Files.list(dir)) {
            entry = files.findFirst().orElseThrow();
        }
        // a forged or colliding entry under the right name still names the identity it was made for
        Files.writeString(entry, Files.readString(entry).replace("one identity", "another"));
        assertThat(new FactsCache(Optional.of(dir)).get("one identity")).isEmpty();
    }

    @Test
    void theScanFindsDynamicQuantisationAcrossChunkBoundaries() throws Exception {
        byte[] name = "DynamicQuantizeLinear".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        byte[] bytes = new byte[(1 << 16) + 100];
        System.arraycopy(name, 0, bytes, (1 << 16) - 5, name.length);
        ByteArrayOutputStream copy = new ByteArrayOutputStream();
        assertThat(ModelFacts.read(new ByteArrayInputStream(bytes), copy).dynamicallyQuantized()).isTrue();
        assertThat(copy.toByteArray()).isEqualTo(bytes);
        assertThat(ModelFacts.read(new ByteArrayInputStream(new byte[1 << 17]), new ByteArrayOutputStream())
                .dynamicallyQuantized()).isFalse();
    }

    private static byte[] resource() throws Exception {
        try (InputStream in = ModelCacheTest.class.getClassLoader().getResourceAsStream(IN_A_JAR)) {
            return in.readAllBytes();
        }
    }
}
