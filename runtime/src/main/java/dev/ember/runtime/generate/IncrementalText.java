package dev.ember.runtime.generate;

import java.util.Arrays;
import java.util.List;

/**
 * The text of one generation as its tokens arrive, cut at its stop strings. Each delta it releases is final: it
 * never ends in half a UTF-8 character (decoding is held back while the decoded tail is U+FFFD), and never holds
 * the start of a stop string until the following text shows that it is not one. The text ends before the first
 * stop string, which is never released.
 *
 * <p>Only a short window of ids is decoded per token (from the last point where decoding was complete), as
 * Hugging Face's text-generation-inference does, so that a token's text is what the tokenizer's decoder gives in
 * context (leading spaces of SentencePiece tokens included) at a cost independent of the text's length.
 */
final class IncrementalText {

    private static final char REPLACEMENT = '\uFFFD';

    private final TokenCodec codec;
    private final List<String> stops;
    private long[] ids = new long[16];
    private int size;
    private int prefixOffset;
    private int readOffset;
    private final StringBuilder text = new StringBuilder();
    private int released;
    private int stoppedAt = -1;

    IncrementalText(TokenCodec codec, List<String> stops) {
        this.codec = codec;
        this.stops = List.copyOf(stops);
    }

    /** Adds a generated token; returns the text it releases, often empty. */
    String push(long id) {
        if (stopped()) {
            return "";
        }
        if (size == ids.length) {
            ids = Arrays.copyOf(ids, size * 2);
        }
        ids[size++] = id;
        String prefix = codec.decode(Arrays.copyOfRange(ids, prefixOffset, readOffset));
        String full = codec.decode(Arrays.copyOfRange(ids, prefixOffset, size));
        if (full.length() > prefix.length() && full.charAt(full.length() - 1) != REPLACEMENT) {
            text.append(full, prefix.length(), full.length());
            prefixOffset = readOffset;
            readOffset = size;
        }
        return release(false);
    }

    /** The generation ended: the text held back, incomplete characters included (as U+FFFD). */
    String finish() {
        if (!stopped()) {
            String prefix = codec.decode(Arrays.copyOfRange(ids, prefixOffset, readOffset));
            String full = codec.decode(Arrays.copyOfRange(ids, prefixOffset, size));
            if (full.length() > prefix.length()) {
                text.append(full, prefix.length(), full.length());
            }
            prefixOffset = readOffset = size;
        }
        return release(true);
    }

    /** Whether a stop string was generated. */
    boolean stopped() {
        return stoppedAt >= 0;
    }

    /** The text so far, without the stop string and what followed it. */
    String text() {
        return text.substring(0, stopped() ? stoppedAt : text.length());
    }

    private String release(boolean end) {
        if (stopped()) {
            return "";
        }
        // a stop string cannot start before what was released: its start would have been held back
        int first = -1;
        for (String stop : stops) {
            int at = text.indexOf(stop, released);
            if (at >= 0 && (first < 0 || at < first)) {
                first = at;
            }
        }
        int upTo;
        if (first >= 0) {
            stoppedAt = first;
            upTo = first;
        } else if (end) {
            upTo = text.length();
        } else {
            upTo = text.length() - heldBack();
            if (upTo > released && Character.isHighSurrogate(text.charAt(upTo - 1))) {
                upTo--; // never half a surrogate pair
            }
        }
        if (upTo <= released) {
            return "";
        }
        String delta = text.substring(released, upTo);
        released = upTo;
        return delta;
    }

    /** The longest tail of the unreleased text that starts a stop string. */
    private int heldBack() {
        int open = text.length() - released;
        int longest = 0;
        for (String stop : stops) {
            for (int k = Math.min(stop.length() - 1, open); k > longest; k--) {
                if (endsWith(stop, k)) {
                    longest = k;
                    break;
                }
            }
        }
        return longest;
    }

    /** Whether the text ends with the first {@code k} characters of {@code stop}. */
    private boolean endsWith(String stop, int k) {
        int start = text.length() - k;
        for (int i = 0; i < k; i++) {
            if (text.charAt(start + i) != stop.charAt(i)) {
                return false;
            }
        }
        return true;
    }
}
