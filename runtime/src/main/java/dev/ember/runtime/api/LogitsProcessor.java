package dev.ember.runtime.api;

/**
 * Changes the next-token logits of one sequence before sampling (OpenAI's {@code logit_bias} is one). Called on the
 * generation thread once per step of its sequence, so it must be quick and must not block; it may keep state per
 * sequence, since each request gets its own instances.
 */
@FunctionalInterface
public interface LogitsProcessor {

    /**
     * @param tokens the sequence so far: the prompt's token ids, then the ones generated (read only)
     * @param logits the next-token logits, one per vocabulary entry, changed in place
     */
    void process(long[] tokens, float[] logits);
}
