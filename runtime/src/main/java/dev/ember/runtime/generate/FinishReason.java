package dev.ember.runtime.generate;

import java.util.Locale;

/** Why a generation ended, as OpenAI names it. */
public enum FinishReason {
    /** An end-of-sequence token or a stop string. */
    STOP,
    /** {@code max_tokens}, or the model's context. */
    LENGTH;

    /** {@code stop} or {@code length}. */
    public String wire() {
        return name().toLowerCase(Locale.ROOT);
    }
}
