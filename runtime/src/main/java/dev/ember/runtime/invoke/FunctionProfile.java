package dev.ember.runtime.invoke;

import dev.ember.runtime.api.InferenceFunction;

import java.time.Duration;
import java.util.Map;
import java.util.Optional;

/**
 * What the data plane needs to know of a function on every call, resolved once when the function is first seen:
 * its Java code (none for a plain tensor model), the pad values its inputs batch with, and its deadline.
 */
public record FunctionProfile(String name, Optional<InferenceFunction<?, ?>> java, Map<String, Number> pads,
        Duration timeout) {
}
