package dev.ember.runtime.events;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * The encoding of {@code ce-*} header values in binary mode (HTTP binding 3.1.3.2), which the SDK's HTTP binding
 * leaves to its caller: values are percent-encoded UTF-8; a receiver also unquotes double-quoted values.
 */
final class PercentEncoding {

    private static final char[] HEX = "0123456789ABCDEF".toCharArray();

    private PercentEncoding() {
    }

    /** Space, double-quote, percent and everything outside printable ASCII become {@code %XX} of their UTF-8 bytes. */
    static String encode(String value) {
        StringBuilder out = null;
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c > ' ' && c < 0x7f && c != '"' && c != '%') {
                if (out != null) {
                    out.append(c);
                }
                continue;
            }
            if (out == null) {
                out = new StringBuilder(value.length() + 16).append(value, 0, i);
            }
            int end = Character.isHighSurrogate(c) && i + 1 < value.length() ? i + 2 : i + 1;
            for (byte b : value.substring(i, end).getBytes(StandardCharsets.UTF_8)) {
                out.append('%').append(HEX[(b >> 4) & 0xf]).append(HEX[b & 0xf]);
            }
            i = end - 1;
        }
        return out == null ? value : out.toString();
    }

    /**
     * Unquotes a double-quoted value, then percent-decodes it once. Raw UTF-8 is taken as it is, since the Go, Java
     * and JavaScript SDKs (and so Knative's brokers) send it unencoded (cloudevents/spec#1397); a {@code %} must
     * start a {@code %XX} escape, and the decoded bytes must be UTF-8.
     *
     * @throws IllegalArgumentException for a {@code %} not followed by two hex digits, or bytes that are not valid
     *         UTF-8 (overlong forms and truncated sequences included); the message names the rule, not the value
     */
    static String decode(String value) {
        String v = unquote(value.strip());
        if (v.chars().allMatch(c -> c != '%' && c < 0x80)) {
            return v;
        }
        try {
            return utf8(v, true);
        } catch (CharacterCodingException asBytes) {
            try {
                // chars that are not a valid UTF-8 byte sequence are text already (a Latin-1 header, or a value
                // decoded upstream); escapes must still decode to UTF-8
                return utf8(v, false);
            } catch (CharacterCodingException e) {
                throw new IllegalArgumentException("the value is not valid UTF-8 (raw or percent-encoded)");
            }
        }
    }

    /** {@code bytesAsChars}: a char up to U+00FF is one byte of the wire, as the HTTP server hands headers over. */
    private static String utf8(String v, boolean bytesAsChars) throws CharacterCodingException {
        ByteBuffer bytes = ByteBuffer.allocate(v.length() * 3);
        for (int i = 0; i < v.length(); i++) {
            char c = v.charAt(i);
            if (c == '%') {
                if (i + 2 >= v.length() || hex(v.charAt(i + 1)) < 0 || hex(v.charAt(i + 2)) < 0) {
                    throw new IllegalArgumentException("malformed percent-encoding: '%' must be followed by two hex"
                            + " digits (send a literal '%' as %25)");
                }
                bytes.put((byte) (hex(v.charAt(i + 1)) << 4 | hex(v.charAt(i + 2))));
                i += 2;
            } else if (c < 0x80 || (bytesAsChars && c <= 0xff)) {
                bytes.put((byte) c);
            } else {
                int end = Character.isHighSurrogate(c) && i + 1 < v.length() ? i + 2 : i + 1;
                bytes.put(v.substring(i, end).getBytes(StandardCharsets.UTF_8));
                i = end - 1;
            }
        }
        bytes.flip();
        CharBuffer chars = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT).decode(bytes);
        return chars.toString();
    }

    private static String unquote(String v) {
        if (v.length() < 2 || v.charAt(0) != '"' || v.charAt(v.length() - 1) != '"') {
            return v;
        }
        StringBuilder out = new StringBuilder(v.length());
        for (int i = 1; i < v.length() - 1; i++) {
            char c = v.charAt(i);
            if (c == '\\' && i + 1 < v.length() - 1) {
                c = v.charAt(++i);
            }
            out.append(c);
        }
        return out.toString();
    }

    private static int hex(char c) {
        return Character.digit(c, 16);
    }
}
