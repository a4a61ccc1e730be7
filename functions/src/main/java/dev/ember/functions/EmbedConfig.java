package dev.ember.functions;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

/**
 * The {@code embed} function's own settings, beside the runtime's per-function keys under
 * {@code ember.functions.embed.}: SmallRye Config accepts a property there when any mapping claims it, so these
 * are not unknown to the runtime's {@code ember.functions.<f>} map.
 */
@ConfigMapping(prefix = "ember.functions.embed")
public interface EmbedConfig {

    /** Classpath resource of the Hugging Face {@code tokenizer.json} that tokenizes the texts. */
    @WithDefault("all-minilm-l6-v2-tokenizer.json")
    String tokenizer();

    /** Tokens per text, special tokens included; longer texts are truncated and their response item says so. */
    @WithDefault("256")
    int maxTokens();

    /**
     * Most tokens one request may take (texts x min(max-tokens, characters + 2)); beyond it the request is refused
     * (413) before it is tokenized.
     */
    @WithDefault("65536")
    long maxRequestTokens();
}
