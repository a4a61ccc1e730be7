package dev.ember.runtime.traffic;

import dev.ember.runtime.api.InferenceFunction;
import dev.ember.runtime.repository.ModelCatalog;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Any;
import jakarta.enterprise.inject.Instance;

import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/** The functions written in Java (CDI beans of the SPI), by name; every catalog model without one is a plain tensor function. */
@ApplicationScoped
public class FunctionRegistry {

    private final Map<String, InferenceFunction<?, ?>> functions = new TreeMap<>();

    FunctionRegistry(@Any Instance<InferenceFunction<?, ?>> beans, ModelCatalog catalog) {
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
    }

    /** The Java function of this name; empty for plain tensor models and unknown names. */
    public Optional<InferenceFunction<?, ?>> find(String name) {
        return Optional.ofNullable(functions.get(name));
    }
}
