package dev.ember.runtime.repository;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * {@link ModelFacts} by file identity (path, size, modification and change times, inode), in memory and in a private
 * directory, so that neither an unload and reload nor a restart reads a model file that has not changed. An entry
 * names the identity it was computed for in full; an identity it does not match is a miss, and the file is read.
 */
final class FactsCache {

    private static final String SHA = "sha256 ";
    private static final String QUANT = "dynamic-quantize ";
    private static final String IDENTITY = "identity ";

    private final Optional<Path> dir;
    private final Map<Object, ModelFacts> memory = new ConcurrentHashMap<>();

    /** Entries in {@code dir} (created private), or in memory only when it is empty. */
    FactsCache(Optional<Path> dir) {
        this.dir = dir;
    }

    /** The facts of the file with this identity, if known. */
    Optional<ModelFacts> get(Object identity) {
        ModelFacts known = memory.get(identity);
        if (known != null || dir.isEmpty()) {
            return Optional.ofNullable(known);
        }
        try {
            Path entry = entry(identity);
            if (!Files.isRegularFile(entry, LinkOption.NOFOLLOW_LINKS)) {
                return Optional.empty();
            }
            List<String> lines = Files.readAllLines(entry, StandardCharsets.UTF_8);
            if (lines.size() != 3 || !lines.get(0).startsWith(SHA) || !lines.get(1).startsWith(QUANT)
                    || !lines.get(2).equals(IDENTITY + identity)) {
                return Optional.empty();
            }
            String sha = lines.get(0).substring(SHA.length());
            if (!sha.matches("[0-9a-f]{64}")) {
                return Optional.empty();
            }
            ModelFacts facts = new ModelFacts(sha, Boolean.parseBoolean(lines.get(1).substring(QUANT.length())));
            memory.put(identity, facts);
            return Optional.of(facts);
        } catch (IOException | RuntimeException e) {
            // an unreadable entry is a miss: the file is read again
            return Optional.empty();
        }
    }

    /** Remembers the facts of the file with this identity; writing the entry is best effort. */
    void put(Object identity, ModelFacts facts) {
        memory.put(identity, facts);
        if (dir.isEmpty()) {
            return;
        }
        try {
            Path entry = entry(identity);
            Path partial = Files.createTempFile(entry.getParent(), "facts-", ".partial",
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            try {
                Files.writeString(partial, SHA + facts.sha256() + "\n" + QUANT + facts.dynamicallyQuantized() + "\n"
                        + IDENTITY + identity + "\n", StandardCharsets.UTF_8);
                move(partial, entry);
            } finally {
                Files.deleteIfExists(partial);
            }
        } catch (IOException | RuntimeException e) {
            // a lost entry costs one read of the file at the next start, never correctness
        }
    }

    /** The facts of {@code file}, read from it (copying nothing) on a miss. */
    ModelFacts of(Path file, Object identity) throws IOException {
        Optional<ModelFacts> known = get(identity);
        if (known.isPresent()) {
            return known.get();
        }
        try (InputStream in = Files.newInputStream(file)) {
            return ModelFacts.read(in, OutputStream.nullOutputStream());
        }
    }

    private Path entry(Object identity) throws IOException {
        Path facts = PrivateDirectory.require(dir.orElseThrow());
        byte[] hash = ModelFacts.sha256Digest().digest(identity.toString().getBytes(StandardCharsets.UTF_8));
        return facts.resolve(HexFormat.of().formatHex(hash, 0, 16) + ".facts");
    }

    static void move(Path from, Path to) throws IOException {
        try {
            Files.move(from, to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(from, to, StandardCopyOption.REPLACE_EXISTING);
        }
    }
}
