package dev.ember.runtime.codec;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.StreamReadConstraints;
import dev.ember.runtime.config.EmberConfig;

/** Limits applied while a request body is parsed, so that hostile sizes are refused before they are allocated. */
public record RequestLimits(long maxTensorElements, int maxJsonDepth, int maxStringLength) {

    public static RequestLimits of(EmberConfig.Limits limits) {
        return new RequestLimits(limits.maxTensorElements(), limits.maxJsonDepth(), limits.maxStringLength());
    }

    /** A JSON factory whose parsers enforce the nesting and string limits. */
    public JsonFactory jsonFactory() {
        return JsonFactory.builder().streamReadConstraints(StreamReadConstraints.builder()
                .maxNestingDepth(maxJsonDepth).maxStringLength(maxStringLength).build()).build();
    }
}
