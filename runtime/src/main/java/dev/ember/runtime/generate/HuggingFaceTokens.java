package dev.ember.runtime.generate;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import dev.ember.runtime.api.ModelLoadException;
import dev.ember.runtime.api.ModelId;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;

/**
 * A {@code tokenizer.json} read by DJL's Hugging Face tokenizers. Truncation and padding are off: DJL would
 * otherwise cut every text at 512 tokens, and a prompt beyond the context must be refused, not silently cut.
 */
final class HuggingFaceTokens implements TokenCodec, AutoCloseable {

    private final HuggingFaceTokenizer tokenizer;

    private HuggingFaceTokens(HuggingFaceTokenizer tokenizer) {
        this.tokenizer = tokenizer;
    }

    static HuggingFaceTokens read(ModelId id, Path file) throws ModelLoadException {
        try {
            return new HuggingFaceTokens(HuggingFaceTokenizer.newInstance(file, Map.of("truncation", "false",
                    "padding", "false", "addSpecialTokens", "true")));
        } catch (IOException | RuntimeException e) {
            throw new ModelLoadException("model " + id + ": its tokenizer.json cannot be read: " + e.getMessage(), e);
        }
    }

    @Override
    public long[] encode(String text, boolean special) {
        return tokenizer.encode(text, special, false).getIds();
    }

    @Override
    public String decode(long[] ids) {
        return tokenizer.decode(ids, true);
    }

    @Override
    public void close() {
        tokenizer.close();
    }
}
