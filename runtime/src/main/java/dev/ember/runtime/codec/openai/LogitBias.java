package dev.ember.runtime.codec.openai;

import dev.ember.runtime.api.LogitsProcessor;

import java.util.Map;

/**
 * OpenAI's {@code logit_bias}: a number in [-100, 100] added to the logit of each named token before sampling
 * (-100 all but bans it, 100 all but forces it). A token id beyond the model's vocabulary changes nothing.
 */
public final class LogitBias implements LogitsProcessor {

    private final int[] tokens;
    private final float[] bias;

    public LogitBias(Map<Integer, Float> bias) {
        this.tokens = new int[bias.size()];
        this.bias = new float[bias.size()];
        int i = 0;
        for (Map.Entry<Integer, Float> e : bias.entrySet()) {
            tokens[i] = e.getKey();
            this.bias[i++] = e.getValue();
        }
    }

    @Override
    public void process(long[] sequence, float[] logits) {
        for (int i = 0; i < tokens.length; i++) {
            if (tokens[i] < logits.length) {
                logits[tokens[i]] += bias[i];
            }
        }
    }

    /** How many tokens it biases. */
    public int size() {
        return tokens.length;
    }
}
