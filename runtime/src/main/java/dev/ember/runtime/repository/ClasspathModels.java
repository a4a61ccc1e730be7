package dev.ember.runtime.repository;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.JarURLConnection;
import java.net.URL;
import java.net.URLConnection;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.HexFormat;
import java.util.Optional;
import java.util.jar.JarEntry;

/**
 * Classpath models (also inside jars) as files, so that sessions are created from a path like every other model.
 * Each resource is copied once into a private cache directory, {@code <java.io.tmpdir>/ember-cache-<uid>/models},
 * under a name keyed by its content's identity (a jar entry's name, CRC-32 and size), and reused by every later load
 * and every later start. The copy's checksum and scan are computed while it is written and kept with its file
 * identity ({@link FactsCache}): a copy whose identity no longer matches (truncated, replaced, touched) or whose size
 * is not the entry's is written again.
 */
final class ClasspathModels {

    private final Path dir;
    private final FactsCache facts;

    ClasspathModels(Path dir, FactsCache facts) {
        this.dir = dir;
        this.facts = facts;
    }

    /** The cache under {@code root}: models in {@code root/models}, facts in {@code root/facts}. */
    static ClasspathModels under(Path root) {
        return new ClasspathModels(root.resolve("models"), new FactsCache(Optional.of(root.resolve("facts"))));
    }

    FactsCache facts() {
        return facts;
    }

    /** The file holding {@code resource}; empty when the classpath has no such resource. */
    Optional<Path> file(String resource) throws IOException {
        ClassLoader loader = Thread.currentThread().getContextClassLoader();
        ClassLoader l = loader != null ? loader : ClasspathModels.class.getClassLoader();
        URL url = l.getResource(resource);
        if (url == null) {
            return Optional.empty();
        }
        URLConnection connection = url.openConnection();
        String key;
        long size;
        if (connection instanceof JarURLConnection jar) {
            // the central directory's CRC and size identify the content without reading it; the jar's path does
            // not matter, so a copy made by the same jar elsewhere (an image's training run) is reused
            JarEntry entry = jar.getJarEntry();
            size = entry.getSize();
            key = entry.getName() + "|" + entry.getCrc() + "|" + size;
        } else {
            size = connection.getContentLengthLong();
            key = url + "|" + connection.getLastModified() + "|" + size;
        }
        PrivateDirectory.require(dir.getParent());
        PrivateDirectory.require(dir);
        Path target = dir.resolve(hash(key) + "-" + fileName(resource));
        if (size >= 0 && Files.isRegularFile(target, LinkOption.NOFOLLOW_LINKS) && Files.size(target) == size
                && facts.get(ModelSource.identity(target)).isPresent()) {
            if (!(connection instanceof JarURLConnection)) {
                connection.getInputStream().close(); // a file: URL opened the file to tell its length
            }
            return Optional.of(target);
        }
        Path partial = Files.createTempFile(dir, "model-", ".partial",
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        try {
            ModelFacts read;
            try (InputStream in = connection.getInputStream(); OutputStream out = Files.newOutputStream(partial)) {
                read = ModelFacts.read(in, out);
            }
            // under its final name a copy is whole: moved into place only once written
            FactsCache.move(partial, target);
            facts.put(ModelSource.identity(target), read);
        } finally {
            Files.deleteIfExists(partial);
        }
        return Optional.of(target);
    }

    private static String hash(String key) {
        return HexFormat.of().formatHex(ModelFacts.sha256Digest().digest(key.getBytes(StandardCharsets.UTF_8)), 0, 8);
    }

    private static String fileName(String resource) {
        String name = resource.substring(resource.lastIndexOf('/') + 1).replaceAll("[^A-Za-z0-9_.-]", "_");
        return name.isEmpty() ? "model.onnx" : name;
    }

    /** The process's cache, created on first use. */
    static ClasspathModels shared() {
        return Shared.CACHE;
    }

    private static final class Shared {
        static final ClasspathModels CACHE = under(
                Path.of(System.getProperty("java.io.tmpdir")).resolve("ember-cache-" + PrivateDirectory.uid()));
    }
}
