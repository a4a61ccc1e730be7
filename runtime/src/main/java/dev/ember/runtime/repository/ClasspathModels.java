package dev.ember.runtime.repository;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileSystems;
import java.nio.file.LinkOption;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipal;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Classpath models (also inside jars) as files, so that sessions are created from a path like every other model:
 * each resource is copied once per process into a private directory (owner-only, deleted on exit) and reused by
 * every later load of it. The directory is named for the process, so the copies a crashed process left behind are
 * deleted by the next start.
 */
final class ClasspathModels {

    static final String PREFIX = "ember-models-";
    private static final Pattern LEFTOVER = Pattern.compile(Pattern.quote(PREFIX) + "(\\d{1,10})-.*");
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
            sweepLeftovers(Path.of(System.getProperty("java.io.tmpdir")));
            Path dir = Files.createTempDirectory(PREFIX + ProcessHandle.current().pid() + "-", ownerOnly("rwx------"));
            // registered before its files, so it is deleted after them
            dir.toFile().deleteOnExit();
            directory = dir;
        }
        return directory;
    }

    /**
     * Deletes the copies a crashed process left (deletion on exit never ran): directories named for a process that
     * is no longer alive, owned by this user. Only plain files directly inside are removed; links are not followed.
     */
    static void sweepLeftovers(Path tmp) {
        try (DirectoryStream<Path> dirs = Files.newDirectoryStream(tmp, PREFIX + "*")) {
            UserPrincipal me = null;
            for (Path dir : dirs) {
                Matcher m = LEFTOVER.matcher(dir.getFileName().toString());
                if (!m.matches() || !Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
                    continue;
                }
                if (me == null) {
                    me = me(tmp);
                }
                if (!Files.getOwner(dir, LinkOption.NOFOLLOW_LINKS).equals(me)) {
                    continue;
                }
                long pid = Long.parseLong(m.group(1));
                if (pid == ProcessHandle.current().pid() || ProcessHandle.of(pid).isPresent()) {
                    continue;
                }
                try (DirectoryStream<Path> files = Files.newDirectoryStream(dir)) {
                    for (Path f : files) {
                        if (Files.isRegularFile(f, LinkOption.NOFOLLOW_LINKS)) {
                            Files.deleteIfExists(f);
                        }
                    }
                }
                Files.deleteIfExists(dir);
            }
        } catch (IOException | RuntimeException e) {
            // best effort: a leftover costs disk, never correctness
        }
    }

    /** This process's user, as the owner of a file it creates. */
    private static UserPrincipal me(Path tmp) throws IOException {
        Path probe = Files.createTempFile(tmp, "ember-owner-", ".probe");
        try {
            return Files.getOwner(probe);
        } finally {
            Files.deleteIfExists(probe);
        }
    }

    private static FileAttribute<?>[] ownerOnly(String permissions) {
        if (!FileSystems.getDefault().supportedFileAttributeViews().contains("posix")) {
            return new FileAttribute<?>[0];
        }
        return new FileAttribute<?>[] {PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString(permissions))};
    }
}
