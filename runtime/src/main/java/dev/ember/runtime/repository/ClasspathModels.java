package dev.ember.runtime.repository;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Classpath models (also inside jars) as files, so that sessions are created from a path like every other model:
 * each resource is copied once per process into a private directory (owner-only, deleted on exit) and reused by
 * every later load of it.
 */
final class ClasspathModels {

    private static final Map<String, Path> FILES = new ConcurrentHashMap<>();
    private static volatile Path directory;

    private ClasspathModels() {
    }

    /** The file holding {@code resource}; empty when the classpath has no such resource. */
    static Optional<Path> file(String resource) throws IOException {
        ClassLoader loader = Thread.currentThread().getContextClassLoader();
        ClassLoader l = loader != null ? loader : ClasspathModels.class.getClassLoader();
        var url = l.getResource(resource);
        if (url == null) {
            return Optional.empty();
        }
        try {
            // keyed by the resource's URL: the same name in another jar is another model
            return Optional.of(FILES.computeIfAbsent(url.toString(), key -> {
                try (InputStream in = url.openStream()) {
                    Path dir = directory();
                    Path file = Files.createTempFile(dir, "model-", ".onnx", ownerOnly("rw-------"));
                    file.toFile().deleteOnExit();
                    // into the file as created: a copy that replaced it would lose its permissions
                    try (OutputStream out = Files.newOutputStream(file)) {
                        in.transferTo(out);
                    }
                    return file;
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }));
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
    }

    private static synchronized Path directory() throws IOException {
        if (directory == null) {
            Path dir = Files.createTempDirectory("ember-models-", ownerOnly("rwx------"));
            // registered before its files, so it is deleted after them
            dir.toFile().deleteOnExit();
            directory = dir;
        }
        return directory;
    }

    private static FileAttribute<?>[] ownerOnly(String permissions) {
        if (!FileSystems.getDefault().supportedFileAttributeViews().contains("posix")) {
            return new FileAttribute<?>[0];
        }
        return new FileAttribute<?>[] {PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString(permissions))};
    }
}
