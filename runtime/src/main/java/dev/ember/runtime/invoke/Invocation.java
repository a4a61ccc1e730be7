package dev.ember.runtime.invoke;

import dev.ember.runtime.api.ModelId;

/** A function's response and the version that really produced it. */
public record Invocation<R>(ModelId served, R response) {
}
