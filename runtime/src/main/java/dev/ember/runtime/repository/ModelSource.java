package dev.ember.runtime.repository;

import dev.ember.runtime.api.ModelLoadException;
import dev.ember.runtime.api.ModelId;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Optional;

/**
 * Where one model version's file is, {@code classpath:<resource>} (also inside dependency jars) or a file path,
 * and the checksum it is pinned to.
 */
public record ModelSource(ModelId id, String location, Optional<String> sha256) {

    public static final String CLASSPATH = "classpath:";

    public ModelSource {
        sha256 = sha256.map(s -> s.trim().toLowerCase(Locale.ROOT));
        sha256.ifPresent(s -> {
            if (!s.matches("[0-9a-f]{64}")) {
                throw new IllegalArgumentException("sha256 of " + id + " must be 64 hex digits");
            }
        });
    }

    /** Reads the file and checks the pin, before anything is given to ONNX Runtime. */
    public byte[] read() throws ModelLoadException {
        byte[] bytes = readBytes();
        if (sha256.isPresent()) {
            String actual = sha256(bytes);
            if (!actual.equals(sha256.get())) {
                throw new ModelLoadException("model " + id + " at " + location + " has sha256 " + actual
                        + " but is pinned to " + sha256.get());
            }
        }
        return bytes;
    }

    private byte[] readBytes() throws ModelLoadException {
        try {
            if (location.startsWith(CLASSPATH)) {
                String resource = location.substring(CLASSPATH.length()).replaceFirst("^/", "");
                ClassLoader loader = Thread.currentThread().getContextClassLoader();
                try (InputStream in = (loader != null ? loader : ModelSource.class.getClassLoader())
                        .getResourceAsStream(resource)) {
                    if (in == null) {
                        throw new ModelLoadException("model " + id + ": no classpath resource " + resource);
                    }
                    return in.readAllBytes();
                }
            }
            return Files.readAllBytes(Path.of(location));
        } catch (NoSuchFileException e) {
            throw new ModelLoadException("model " + id + ": no file " + location);
        } catch (IOException e) {
            throw new ModelLoadException("model " + id + ": cannot read " + location + ": " + e.getMessage());
        }
    }

    static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
