package dev.ember.runtime.codec;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.StreamReadConstraints;
import dev.ember.runtime.config.EmberConfig;

/** Limits applied while a request body is parsed, so that hostile sizes are refused before they are allocated. */
public record RequestLimits(long maxTensorElements, int maxJsonDepth, int maxStringLength) {

    /** Longest JSON number (digits, sign, fraction and exponent): Jackson's default, stated so errors can name it. */
    public static final int MAX_NUMBER_LENGTH = StreamReadConstraints.DEFAULT_MAX_NUM_LEN;
    /** Longest JSON field name: Jackson's default, stated so errors can name it. */
    public static final int MAX_NAME_LENGTH = StreamReadConstraints.DEFAULT_MAX_NAME_LEN;

    public static RequestLimits of(EmberConfig.Limits limits) {
        return new RequestLimits(limits.maxTensorElements(), limits.maxJsonDepth(), limits.maxStringLength());
    }

    /** A JSON factory whose parsers enforce the nesting, string, number and name limits. */
    public JsonFactory jsonFactory() {
        return JsonFactory.builder().streamReadConstraints(streamReadConstraints()).build();
    }

    /** The parser constraints of these limits, for factories made elsewhere (functions' bodies, event envelopes). */
    public StreamReadConstraints streamReadConstraints() {
        return StreamReadConstraints.builder().maxNestingDepth(maxJsonDepth).maxStringLength(maxStringLength)
                .maxNumberLength(MAX_NUMBER_LENGTH).maxNameLength(MAX_NAME_LENGTH).build();
    }
}
