package dev.ember.runtime.repository;

import dev.ember.runtime.api.ModelId;
import dev.ember.runtime.config.EmberConfig;
import jakarta.enterprise.context.ApplicationScoped;
import org.jboss.logging.Logger;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Optional;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Stream;

/**
 * Every model version Ember can serve: those configured under {@code ember.functions.<f>} and those found in the
 * directory repository {@code <root>/<model>/<version>/model.onnx}. Configuration wins where both name a version.
 */
@ApplicationScoped
public class ModelCatalog {

    private static final Logger LOG = Logger.getLogger(ModelCatalog.class);
    public static final String MODEL_FILE = "model.onnx";

    private final EmberConfig config;
    private volatile Map<String, NavigableMap<Integer, ModelSource>> models;

    ModelCatalog(EmberConfig config) {
        this.config = config;
        this.models = scan();
    }

    /** Model names, sorted. */
    public SortedSet<String> models() {
        return Collections.unmodifiableSortedSet(new TreeSet<>(models.keySet()));
    }

    public boolean contains(String model) {
        return models.containsKey(model);
    }

    /** Versions of a model, ascending; empty when the model is unknown. */
    public NavigableMap<Integer, ModelSource> versions(String model) {
        NavigableMap<Integer, ModelSource> versions = models.get(model);
        return versions == null ? Collections.emptyNavigableMap() : Collections.unmodifiableNavigableMap(versions);
    }

    public Optional<ModelSource> find(ModelId id) {
        return Optional.ofNullable(versions(id.model()).get(id.version()));
    }

    /** Reads the directory repository again, so models added since start become servable. */
    public void rescan() {
        models = scan();
    }

    private Map<String, NavigableMap<Integer, ModelSource>> scan() {
        Map<String, NavigableMap<Integer, ModelSource>> found = new TreeMap<>();
        config.repository().path().ifPresent(root -> scanDirectory(root, found));
        config.functions().forEach((name, function) -> addConfigured(name, function, found));
        return found;
    }

    private void addConfigured(String name, EmberConfig.Function function,
            Map<String, NavigableMap<Integer, ModelSource>> found) {
        if (!ModelNames.isValidName(name)) {
            throw new IllegalArgumentException("ember.functions." + name + ": '" + name + "' is not a valid function name");
        }
        Map<String, EmberConfig.Version> versions = function.versions();
        function.model().ifPresent(location -> put(found, new ModelSource(new ModelId(name, 1), location,
                Optional.ofNullable(versions.get("1")).flatMap(EmberConfig.Version::sha256))));
        versions.forEach((key, version) -> {
            int v = ModelNames.parseVersion(key);
            if (v < 0) {
                throw new IllegalArgumentException("ember.functions." + name + ".versions." + key
                        + ": versions are positive integers");
            }
            ModelId id = new ModelId(name, v);
            Optional<String> location = version.model();
            if (location.isEmpty()) {
                // a sha256 pin (or traffic share) alone refers to a version defined elsewhere
                ModelSource existing = found.getOrDefault(name, new TreeMap<>()).get(v);
                if (existing == null) {
                    if (v == 1 && function.model().isPresent()) {
                        return;
                    }
                    throw new IllegalArgumentException("ember.functions." + name + ".versions." + key
                            + " names no model and none is in the repository");
                }
                location = Optional.of(existing.location());
            }
            Optional<Path> root = Optional.ofNullable(found.getOrDefault(name, new TreeMap<>()).get(v))
                    .filter(existing -> version.model().isEmpty()).flatMap(ModelSource::root);
            put(found, new ModelSource(id, location.get(), version.sha256(), root));
        });
    }

    private static void put(Map<String, NavigableMap<Integer, ModelSource>> found, ModelSource source) {
        found.computeIfAbsent(source.id().model(), k -> new TreeMap<>()).put(source.id().version(), source);
    }

    private void scanDirectory(Path root, Map<String, NavigableMap<Integer, ModelSource>> found) {
        if (!Files.isDirectory(root)) {
            LOG.warnf("ember.repository.path %s is not a directory: no repository models", root);
            return;
        }
        try (Stream<Path> modelDirs = Files.list(root)) {
            Path realRoot = root.toRealPath();
            for (Path modelDir : (Iterable<Path>) modelDirs.sorted()::iterator) {
                String name = modelDir.getFileName().toString();
                if (!Files.isDirectory(modelDir) || name.startsWith(".")) {
                    continue;
                }
                if (!ModelNames.isValidName(name)) {
                    LOG.warnf("repository: skipping %s: not a valid model name", modelDir);
                    continue;
                }
                if (!inside(realRoot, modelDir)) {
                    LOG.warnf("repository: skipping %s: it is a link to outside %s", modelDir, root);
                    continue;
                }
                scanVersions(name, modelDir, realRoot, found);
            }
        } catch (IOException e) {
            LOG.errorf("repository %s cannot be listed: %s", root, e.getMessage());
        }
    }

    private void scanVersions(String name, Path modelDir, Path realRoot,
            Map<String, NavigableMap<Integer, ModelSource>> found) throws IOException {
        try (Stream<Path> versionDirs = Files.list(modelDir)) {
            for (Path versionDir : (Iterable<Path>) versionDirs.sorted()::iterator) {
                int v = ModelNames.parseVersion(versionDir.getFileName().toString());
                Path file = versionDir.resolve(MODEL_FILE);
                if (v < 0 || !Files.isRegularFile(file)) {
                    LOG.debugf("repository: skipping %s: not <positive version>/%s", versionDir, MODEL_FILE);
                    continue;
                }
                if (!inside(realRoot, file)) {
                    LOG.warnf("repository: skipping %s: it is a link to outside %s", file, realRoot);
                    continue;
                }
                put(found, new ModelSource(new ModelId(name, v), file.toString(), Optional.empty(), Optional.of(realRoot)));
            }
        }
    }

    /** Whether {@code path}, links followed, is under the repository root, so no link serves a file from elsewhere. */
    private static boolean inside(Path realRoot, Path path) {
        try {
            return path.toRealPath().startsWith(realRoot);
        } catch (IOException e) {
            return false;
        }
    }
}
