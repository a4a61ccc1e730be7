package dev.ember.runtime.repository;

import dev.ember.runtime.api.ModelId;
import dev.ember.runtime.api.ModelLoadException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * Where one model version's file is, {@code classpath:<resource>} (also inside dependency jars) or a file path,
 * the checksum it is pinned to, and, for a model found in the directory repository, the repository root it must
 * stay inside. Loading is {@link #locate()} (no read: the pool checks its budget against the size first), then
 * {@link #verify(ModelFile)} (the pin, and the external data the model names), then a session from the path.
 */
public record ModelSource(ModelId id, String location, Optional<String> sha256, Optional<Path> root) {

    public static final String CLASSPATH = "classpath:";


    public ModelSource {
        sha256 = sha256.map(s -> s.trim().toLowerCase(Locale.ROOT));
        sha256.ifPresent(s -> {
            if (!s.matches("[0-9a-f]{64}")) {
                throw new IllegalArgumentException("sha256 of " + id + " must be 64 hex digits");
            }
        });
    }

    public ModelSource(ModelId id, String location, Optional<String> sha256) {
        this(id, location, sha256, Optional.empty());
    }

    /**
     * Finds the file without reading it: a classpath model is copied to a private file once; a repository model's
     * file is checked again to be inside the repository root, links followed, since a link may have been swapped
     * in after the scan.
     */
    public ModelFile locate() throws ModelLoadException {
        Path path;
        try {
            if (location.startsWith(CLASSPATH)) {
                String resource = location.substring(CLASSPATH.length()).replaceFirst("^/", "");
                path = ClasspathModels.shared().file(resource).orElseThrow(() -> new ModelLoadException(
                        "model " + id + ": no classpath resource " + resource));
            } else {
                path = Path.of(location).toRealPath();
                // a model directory in Optimum's layout is configured by its directory
                if (Files.isDirectory(path)) {
                    Path inside = path.resolve(ModelCatalog.MODEL_FILE);
                    if (!Files.isRegularFile(inside)) {
                        throw new ModelLoadException("model " + id + ": directory " + location + " holds no "
                                + ModelCatalog.MODEL_FILE);
                    }
                    path = inside.toRealPath();
                }
                if (root.isPresent() && !path.startsWith(root.get().toRealPath())) {
                    throw new ModelLoadException("model " + id + ": its model file leads outside the repository "
                            + "root (a link to elsewhere); it is not served");
                }
            }
            BasicFileAttributes attributes = Files.readAttributes(path, BasicFileAttributes.class);
            if (!attributes.isRegularFile()) {
                throw new ModelLoadException("model " + id + ": " + location + " is not a regular file");
            }
            return new ModelFile(path, attributes.size(), List.of(), identity(path, attributes), Optional.empty());
        } catch (NoSuchFileException e) {
            throw new ModelLoadException("model " + id + ": no file " + location);
        } catch (IOException e) {
            throw new ModelLoadException("model " + id + ": cannot read " + location + ": " + e.getMessage());
        }
    }

    /** Files beside {@code model.onnx} that make a directory a generator's (Hugging Face Optimum's layout). */
    public static final List<String> GENERATOR_FILES = List.of("config.json", "tokenizer.json");

    /**
     * The directory of this source's model file when it looks like a generator's ({@link #GENERATOR_FILES} beside
     * the model), found without loading or reading anything; empty for classpath models and for any other model.
     */
    public Optional<Path> generatorDirectory() {
        if (location.startsWith(CLASSPATH)) {
            return Optional.empty();
        }
        try {
            Path path = Path.of(location);
            Path dir = Files.isDirectory(path) ? path : path.toAbsolutePath().getParent();
            return dir != null && looksLikeGenerator(dir) ? Optional.of(dir) : Optional.empty();
        } catch (RuntimeException e) {
            // an unusable location is reported when the model loads, not here
            return Optional.empty();
        }
    }

    /** Whether {@code directory} holds the {@link #GENERATOR_FILES} beside its model file. */
    public static boolean looksLikeGenerator(Path directory) {
        return GENERATOR_FILES.stream().allMatch(f -> Files.isRegularFile(directory.resolve(f)));
    }

    /**
     * Checks the pin and the external data the model names: each location must be a relative path that stays inside
     * the model's directory, links followed. Returns the file with its external data counted in its size and its
     * {@link ModelFacts}, read from it (streamed, never held in memory) unless known for its identity.
     */
    public ModelFile verify(ModelFile file) throws ModelLoadException {
        ModelFacts facts = facts(file);
        if (sha256.isPresent() && !facts.sha256().equals(sha256.get())) {
            throw new ModelLoadException("model " + id + " at " + location + " has sha256 " + facts.sha256()
                    + " but is pinned to " + sha256.get());
        }
        List<Path> external = externalData(file.path());
        long size = file.sizeBytes();
        for (Path p : external) {
            try {
                size += Files.size(p);
            } catch (IOException e) {
                throw new ModelLoadException("model " + id + ": cannot read its external data file "
                        + p.getFileName() + ": " + e.getMessage());
            }
        }
        return new ModelFile(file.path(), size, external, file.identity(), Optional.of(facts));
    }

    /**
     * Confirms, after the session was created from the path, that the file is still the one located and verified:
     * same real path, size, modification and change times, inode. The checksum then holds for what ONNX Runtime read,
     * though it read the file itself.
     */
    public void confirm(ModelFile file) throws ModelLoadException {
        ModelFile now = locate();
        if (!now.path().equals(file.path()) || !now.identity().equals(file.identity())) {
            throw new ModelLoadException("model " + id + ": its file changed while it was being loaded; load it again");
        }
    }

    /** Reads the verified file; for tests and small models only: loading never reads a model into the heap. */
    public byte[] read() throws ModelLoadException {
        ModelFile file = verify(locate());
        try {
            return Files.readAllBytes(file.path());
        } catch (IOException e) {
            throw new ModelLoadException("model " + id + ": cannot read " + location + ": " + e.getMessage());
        }
    }

    private List<Path> externalData(Path model) throws ModelLoadException {
        java.util.Set<String> locations;
        try {
            locations = OnnxExternalData.locations(model);
        } catch (OnnxExternalData.MalformedModelException e) {
            throw new ModelLoadException("model " + id + " is not a valid ONNX model: " + e.getMessage());
        } catch (IOException e) {
            throw new ModelLoadException("model " + id + ": cannot read " + location + ": " + e.getMessage());
        }
        if (locations.isEmpty()) {
            return List.of();
        }
        if (location.startsWith(CLASSPATH)) {
            throw new ModelLoadException("model " + id + ": a classpath model cannot use ONNX external data; "
                    + "serve it from a directory");
        }
        Path dir = model.getParent();
        List<Path> files = new ArrayList<>();
        for (String name : locations) {
            Path relative;
            try {
                relative = Path.of(name);
            } catch (RuntimeException e) {
                throw outside();
            }
            Path resolved = dir.resolve(relative).normalize();
            if (relative.isAbsolute() || name.startsWith("/") || name.startsWith("\\") || name.contains(":")
                    || !resolved.startsWith(dir) || resolved.equals(dir)) {
                throw outside();
            }
            try {
                Path real = resolved.toRealPath();
                if (!real.startsWith(dir) || !Files.isRegularFile(real, LinkOption.NOFOLLOW_LINKS)) {
                    throw outside();
                }
                if (!files.contains(real)) {
                    files.add(real);
                }
            } catch (NoSuchFileException e) {
                throw new ModelLoadException("model " + id + ": its external data file " + relative
                        + " is missing beside the model");
            } catch (IOException e) {
                throw new ModelLoadException("model " + id + ": cannot read its external data file " + relative
                        + ": " + e.getMessage());
            }
        }
        return files;
    }

    private ModelLoadException outside() {
        return new ModelLoadException("model " + id + ": an external data location leaves the model's directory "
                + "(absolute, '..' or a link to elsewhere); it is not loaded");
    }

    private ModelFacts facts(ModelFile file) throws ModelLoadException {
        FactsCache cache = ClasspathModels.shared().facts();
        try {
            Optional<ModelFacts> known = cache.get(file.identity());
            if (known.isPresent()) {
                return known.get();
            }
            ModelFacts read = cache.of(file.path(), file.identity());
            // kept only for the file that was read: one that changed meanwhile is read again next time
            confirm(file);
            cache.put(file.identity(), read);
            return read;
        } catch (IOException e) {
            throw new ModelLoadException("model " + id + ": cannot read " + location + ": " + e.getMessage());
        }
    }

    /** The file's identity as {@link ModelFile#identity()} defines it. */
    static Object identity(Path path) throws IOException {
        return identity(path, Files.readAttributes(path, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS));
    }

    private static Object identity(Path path, BasicFileAttributes attributes) {
        Object changed;
        try {
            // the change time cannot be set back by the file's writer, unlike the modification time
            changed = Files.getAttribute(path, "unix:ctime");
        } catch (IOException | UnsupportedOperationException | IllegalArgumentException e) {
            changed = "";
        }
        return List.of(path.toString(), attributes.size(), attributes.lastModifiedTime(), changed,
                String.valueOf(attributes.fileKey()));
    }

    static String sha256(byte[] bytes) {
        return HexFormat.of().formatHex(ModelFacts.sha256Digest().digest(bytes));
    }
}
