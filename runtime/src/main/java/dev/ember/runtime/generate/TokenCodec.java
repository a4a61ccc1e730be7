package dev.ember.runtime.generate;

/** Text to token ids and back, as a generator's tokenizer does it. */
public interface TokenCodec {

    /** The ids of {@code text}; {@code special}: with the tokenizer's own special tokens around it (e.g. BOS). */
    long[] encode(String text, boolean special);

    /** The text of {@code ids}, special tokens left out; an incomplete UTF-8 character ends in U+FFFD. */
    String decode(long[] ids);
}
