package dev.ember.it;

import dev.ember.runtime.testing.FixtureModels;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Map;

/**
 * Writes the fixture models as a directory repository before the application starts and points
 * {@code ember.repository.path} at it; adds a corrupt model and a model pinned to the wrong checksum, which must
 * fail alone while everything else serves.
 */
public class FixtureRepository implements QuarkusTestResourceLifecycleManager {

    static final String WRONG_SHA = "0".repeat(64);
    private Path root;

    @Override
    public Map<String, String> start() {
        try {
            root = Files.createTempDirectory("ember-fixtures");
            FixtureModels.writeRepository(root);
            FixtureModels.write(root.resolve("corrupt/1/model.onnx"),
                    "this is not an ONNX model".getBytes(StandardCharsets.UTF_8));
            byte[] add = FixtureModels.add();
            FixtureModels.write(root.resolve("add_pinned_wrong/1/model.onnx"), add);
            FixtureModels.write(root.resolve("add_pinned/1/model.onnx"), add);
            return Map.of(
                    "ember.repository.path", root.toString(),
                    "ember.functions.add_pinned_wrong.versions.1.sha256", WRONG_SHA,
                    "ember.functions.add_pinned.versions.1.sha256", sha256(add),
                    "quarkus.http.limits.max-body-size", "1M");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void stop() {
        // the temp directory is left for post-mortem inspection; it is small
    }
}
