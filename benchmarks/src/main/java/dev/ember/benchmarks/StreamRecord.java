package dev.ember.benchmarks;

import java.util.ArrayList;
import java.util.List;

/**
 * What the client saw of one streamed completion, in {@link System#nanoTime} readings: when the request was sent,
 * when each chunk carrying text arrived, when the stream ended, and the usage the server reported.
 *
 * @param sentNanos just before the request was handed to the HTTP client
 * @param textNanos arrival of each chunk whose text was not empty, in order
 * @param endNanos arrival of {@code [DONE]}, or when the stream broke off or was cancelled
 * @param promptTokens the {@code usage} chunk's figure, -1 when none came
 * @param completionTokens likewise
 * @param finishReason the last {@code finish_reason} seen, null when none
 * @param text the chunks' text, concatenated
 * @param error why the stream failed (an HTTP status, an error event, a broken connection), null when it did not
 * @param cancelled the client closed it on purpose (a measurement window ended)
 */
record StreamRecord(long sentNanos, long[] textNanos, long endNanos, int promptTokens, int completionTokens,
        String finishReason, String text, String error, boolean cancelled) {

    boolean complete() {
        return error == null && !cancelled && completionTokens >= 0;
    }

    boolean gotFirstText() {
        return textNanos.length > 0;
    }

    /** Send to the first text chunk, in milliseconds; NaN when no text came. */
    double ttftMillis() {
        return gotFirstText() ? (textNanos[0] - sentNanos) / 1e6 : Double.NaN;
    }

    /** Gaps between consecutive text chunks, in milliseconds, of the chunks that arrived in [from, to]. */
    List<Double> gapsMillis(long from, long to) {
        List<Double> gaps = new ArrayList<>();
        for (int i = 1; i < textNanos.length; i++) {
            if (textNanos[i - 1] >= from && textNanos[i] <= to) {
                gaps.add((textNanos[i] - textNanos[i - 1]) / 1e6);
            }
        }
        return gaps;
    }

    /** Text chunks that arrived in [from, to]. */
    int chunksBetween(long from, long to) {
        int n = 0;
        for (long t : textNanos) {
            if (t >= from && t <= to) {
                n++;
            }
        }
        return n;
    }

    /** Completion tokens per second over the whole request, send to end (the prompt pass included). */
    double tokensPerSecond() {
        return completionTokens <= 0 ? Double.NaN : completionTokens / ((endNanos - sentNanos) / 1e9);
    }
}
