package dev.ember.runtime.generate;

import dev.ember.runtime.api.InvalidInputException;
import dev.ember.runtime.api.ModelId;
import dev.ember.runtime.api.ModelLoadException;
import dev.ember.runtime.api.UnavailableException;
import dev.ember.runtime.config.EmberConfig;
import dev.ember.runtime.onnx.Decoder;
import dev.ember.runtime.onnx.DecoderLayout;
import dev.ember.runtime.onnx.LoadedModel;
import dev.ember.runtime.pool.KvCacheBudget;
import dev.ember.runtime.repository.ModelCatalog;
import dev.ember.runtime.repository.ModelSource;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.Startup;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import org.jboss.logging.Logger;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The engine of each loaded generator version, keyed by the loaded model itself: a reload gets a fresh engine, and
 * the engine of an unloaded model is dropped (with its tokenizer) the next time engines are looked up. An engine's
 * thread runs only while it has work, and every generation holds a lease on its model, so no engine thread outlives
 * the model it runs.
 */
@ApplicationScoped
@Startup
public class GenerationEngines {

    private static final Logger LOG = Logger.getLogger(GenerationEngines.class);
    private static final Duration RETRY_FAILED = Duration.ofSeconds(30);

    private final ModelCatalog catalog;
    private final EmberConfig config;
    private final KvCacheBudget budget;
    private final MeterRegistry registry;
    private final Map<LoadedModel, GenerationEngine> engines = new ConcurrentHashMap<>();
    private final Map<ModelId, GenerationMetrics> metrics = new ConcurrentHashMap<>();

    GenerationEngines(ModelCatalog catalog, EmberConfig config, KvCacheBudget budget, MeterRegistry registry) {
        this.catalog = catalog;
        this.config = config;
        this.budget = budget;
        this.registry = registry;
        check(config);
        // a generator version's meters exist from the start (at 0), like the other per-version meters
        for (String function : catalog.models()) {
            for (ModelSource source : catalog.versions(function).values()) {
                if (generates(source.id())) {
                    metrics(source.id());
                    account(source.id());
                }
            }
        }
    }

    /**
     * Refuses at start a generate setting that would otherwise fail the first generation (as a 500): the counts
     * must be at least 1 and a version's own KV cache budget positive; checked for every function, generator or not
     * yet, so a setting is never wrong only once the files appear.
     */
    static void check(EmberConfig config) {
        config.functions().forEach((function, f) -> {
            String prefix = "ember.functions." + function + ".generate.";
            EmberConfig.Generate g = f.generate();
            atLeastOne(prefix + "max-running", g.maxRunning());
            atLeastOne(prefix + "max-waiting", g.maxWaiting());
            atLeastOne(prefix + "prefill-chunk", g.prefillChunk());
            g.kvCacheBudget().ifPresent(budget -> {
                if (budget.asLongValue() <= 0) {
                    throw new IllegalArgumentException(prefix + "kv-cache-budget must be positive; leave it unset"
                            + " for the process-wide ember.pool.kv-cache-budget alone");
                }
            });
        });
    }

    private static void atLeastOne(String property, int value) {
        if (value < 1) {
            throw new IllegalArgumentException(property + " must be at least 1, not " + value);
        }
    }

    /**
     * The engine of a loaded version, made at its first generation: 400 naming {@code model} when the graph is not a
     * decoder with past, 503 naming the file when the generator's files beside it are missing or invalid.
     */
    public GenerationEngine engine(LoadedModel model) {
        prune();
        GenerationEngine engine = engines.get(model);
        if (engine != null) {
            return engine;
        }
        synchronized (this) {
            engine = engines.get(model);
            if (engine == null) {
                engine = create(model);
                engines.put(model, engine);
            }
            return engine;
        }
    }

    /** Whether a version is a generator, from its files alone (no load): {@link ModelSource#generatorDirectory()}. */
    public boolean generates(ModelId id) {
        return catalog.find(id).flatMap(ModelSource::generatorDirectory).isPresent();
    }

    /** The meters of a version, shared by its engines across reloads. */
    public GenerationMetrics metrics(ModelId id) {
        return metrics.computeIfAbsent(id, v -> new GenerationMetrics(registry, v));
    }

    private GenerationEngine create(LoadedModel model) {
        ModelId id = model.id();
        if (DecoderLayout.of(model.signature()).isEmpty()) {
            throw new InvalidInputException("'model': function '" + id.model() + "' is not a generator (its model"
                    + " is not a decoder with past key values)");
        }
        GeneratorModel files;
        try {
            ModelSource source = catalog.find(id).orElseThrow(() -> new ModelLoadException("model " + id
                    + " is no longer in the catalog"));
            Path dir = source.locate().path().getParent();
            files = GeneratorModel.read(id, dir);
        } catch (ModelLoadException e) {
            LOG.errorf("generator %s cannot serve: %s", id, e.getMessage());
            throw new UnavailableException("model " + id + " is unavailable: " + e.getMessage(), RETRY_FAILED);
        }
        Decoder decoder = model.decoder();
        EmberConfig.Generate settings = config.functions().get(id.model()).generate();
        LOG.infof("generator %s: context %d tokens, %d KV cache bytes per token, up to %d sequences at once", id,
                files.maxPositions(), decoder.layout().bytesPerToken(), settings.maxRunning());
        return new GenerationEngine(id, decoder, files, new GenerationEngine.Settings(settings.maxRunning(),
                settings.maxWaiting(), settings.prefillChunk()), account(id), metrics(id));
    }

    private KvCacheBudget.Account account(ModelId id) {
        OptionalLong own = config.functions().get(id.model()).generate().kvCacheBudget()
                .map(m -> OptionalLong.of(m.asLongValue())).orElse(OptionalLong.empty());
        return budget.account(id, own);
    }

    /** Drops the engines of models that were unloaded since. */
    private void prune() {
        engines.entrySet().removeIf(e -> {
            if (!e.getKey().isClosed()) {
                return false;
            }
            e.getValue().close();
            e.getValue().model().close();
            return true;
        });
    }

    @PreDestroy
    void shutdown() {
        // the tokenizers stay: a thread may be finishing a step with one, and the process is ending
        engines.values().forEach(GenerationEngine::close);
        engines.clear();
    }
}
