package dev.ember.runtime.repository;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * What loading needs to know about a model file's bytes: its SHA-256 (for the pin) and whether the graph quantises
 * activations at run time (a {@code DynamicQuantizeLinear} node: its results then depend on the whole batch). Both
 * come from one read of the file, kept per file identity by {@link FactsCache}.
 */
public record ModelFacts(String sha256, boolean dynamicallyQuantized) {

    private static final byte[] DYNAMIC_QUANTIZE = "DynamicQuantize".getBytes(StandardCharsets.US_ASCII);

    /** Reads {@code in} to its end, in chunks (never the whole model in the heap), copying it to {@code copy}. */
    static ModelFacts read(InputStream in, OutputStream copy) throws IOException {
        MessageDigest digest = sha256Digest();
        byte[] needle = DYNAMIC_QUANTIZE;
        byte[] chunk = new byte[1 << 16];
        // the chunk after the last needle.length - 1 bytes of the one before, so a name across two chunks is found
        byte[] window = new byte[chunk.length + needle.length - 1];
        int carry = 0;
        boolean found = false;
        int n;
        while ((n = in.readNBytes(chunk, 0, chunk.length)) > 0) {
            digest.update(chunk, 0, n);
            copy.write(chunk, 0, n);
            if (!found) {
                System.arraycopy(chunk, 0, window, carry, n);
                int filled = carry + n;
                found = contains(window, filled, needle);
                carry = Math.min(needle.length - 1, filled);
                System.arraycopy(window, filled - carry, window, 0, carry);
            }
        }
        return new ModelFacts(HexFormat.of().formatHex(digest.digest()), found);
    }

    private static boolean contains(byte[] haystack, int length, byte[] needle) {
        outer:
        for (int i = 0; i <= length - needle.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (haystack[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return true;
        }
        return false;
    }

    static MessageDigest sha256Digest() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
