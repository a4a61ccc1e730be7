package dev.ember.runtime.invoke;

import dev.ember.runtime.api.GeneratorFunction;
import dev.ember.runtime.api.InferenceFunction;
import dev.ember.runtime.api.NotFoundException;
import dev.ember.runtime.config.EmberConfig;
import dev.ember.runtime.repository.ModelCatalog;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Any;
import jakarta.enterprise.inject.Instance;
import jakarta.inject.Inject;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The functions by name and their profiles: a function written in Java is a CDI bean of the SPI (an
 * {@link InferenceFunction}, or a {@link GeneratorFunction} wrapping a generator); every catalog model without one
 * is a plain tensor function (or, when its files are a generator's, a plain generator).
 */
@ApplicationScoped
public class FunctionRegistry {

    private final Map<String, InferenceFunction<?, ?>> functions = new TreeMap<>();
    private final Map<String, GeneratorFunction> generators = new TreeMap<>();
    private final Map<String, FunctionProfile> profiles = new ConcurrentHashMap<>();
    private final ModelCatalog catalog;
    private final EmberConfig config;

    @Inject
    FunctionRegistry(@Any Instance<InferenceFunction<?, ?>> beans, @Any Instance<GeneratorFunction> generators,
            ModelCatalog catalog, EmberConfig config) {
        this((Iterable<InferenceFunction<?, ?>>) beans, (Iterable<GeneratorFunction>) generators, catalog, config);
    }

    FunctionRegistry(Iterable<InferenceFunction<?, ?>> beans, ModelCatalog catalog, EmberConfig config) {
        this(beans, List.of(), catalog, config);
    }

    FunctionRegistry(Iterable<InferenceFunction<?, ?>> beans, Iterable<GeneratorFunction> generatorBeans,
            ModelCatalog catalog, EmberConfig config) {
        this.catalog = catalog;
        this.config = config;
        for (InferenceFunction<?, ?> f : beans) {
            InferenceFunction<?, ?> previous = functions.put(f.name(), f);
            if (previous != null) {
                throw new IllegalStateException("two functions are named '" + f.name() + "': "
                        + previous.getClass().getName() + " and " + f.getClass().getName());
            }
            if (!catalog.contains(f.name())) {
                throw new IllegalStateException("function '" + f.name() + "' has no model: set ember.functions."
                        + f.name() + ".model");
            }
        }
        for (GeneratorFunction g : generatorBeans) {
            if (functions.containsKey(g.name()) || generators.put(g.name(), g) != null) {
                throw new IllegalStateException("two functions are named '" + g.name() + "'");
            }
            if (!catalog.contains(g.name())) {
                throw new IllegalStateException("function '" + g.name() + "' has no model: set ember.functions."
                        + g.name() + ".model");
            }
        }
    }

    /** The Java generator function of this name; empty for plain models and unknown names. */
    public Optional<GeneratorFunction> generator(String name) {
        return Optional.ofNullable(generators.get(name));
    }

    /** The Java function of this name; empty for plain tensor models and unknown names. */
    public Optional<InferenceFunction<?, ?>> find(String name) {
        return Optional.ofNullable(functions.get(name));
    }

    /** The profile of a function the catalog has (a model may appear on a rescan); 404 for any other name. */
    public FunctionProfile profile(String name) {
        FunctionProfile profile = profiles.get(name);
        if (profile != null) {
            return profile;
        }
        if (!catalog.contains(name)) {
            throw new NotFoundException("unknown function '" + name + "'");
        }
        return profiles.computeIfAbsent(name, n -> {
            Optional<InferenceFunction<?, ?>> java = find(n);
            return new FunctionProfile(n, java, java.map(InferenceFunction::padValues).orElse(Map.of()),
                    config.functions().get(n).timeout());
        });
    }
}
