package dev.ember.runtime.generate;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Picks one sequence's next token from its logits: the highest when the temperature is 0, else a draw from the
 * softmax at that temperature, cut to the smallest set of tokens whose mass reaches {@code topP}. Each sequence
 * owns its sampler and its random stream, seeded by the request, so its tokens do not depend on the batch.
 */
final class Sampler {

    private final double temperature;
    private final double topP;
    private final SplittableRandom random;

    Sampler(double temperature, double topP, long seed) {
        this.temperature = temperature;
        this.topP = topP;
        this.random = new SplittableRandom(seed);
    }

    boolean greedy() {
        return temperature == 0;
    }

    int next(float[] logits) {
        int best = argmax(logits);
        if (greedy() || !Float.isFinite(logits[best])) {
            return best;
        }
        double max = logits[best];
        double[] weights = new double[logits.length];
        double total = 0;
        for (int i = 0; i < logits.length; i++) {
            double w = Float.isNaN(logits[i]) ? 0 : Math.exp((logits[i] - max) / temperature);
            weights[i] = w;
            total += w;
        }
        if (topP >= 1) {
            return draw(weights, total, null, weights.length);
        }
        // the nucleus: the heaviest tokens first, until their mass reaches top_p
        Integer[] order = new Integer[weights.length];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        Arrays.sort(order, (a, b) -> a.equals(b) ? 0
                : weights[b] != weights[a] ? Double.compare(weights[b], weights[a]) : Integer.compare(a, b));
        double kept = 0;
        int n = 0;
        while (n < order.length && (n == 0 || kept < topP * total)) {
            kept += weights[order[n]];
            n++;
        }
        return draw(weights, kept, order, n);
    }

    private int draw(double[] weights, double total, Integer[] order, int n) {
        double r = random.nextDouble() * total;
        int last = order == null ? n - 1 : order[n - 1];
        for (int k = 0; k < n; k++) {
            int i = order == null ? k : order[k];
            r -= weights[i];
            if (r < 0) {
                return i;
            }
            if (weights[i] > 0) {
                last = i;
            }
        }
        return last; // rounding left a sliver: the last token with any weight
    }

    /** The index of the highest logit, the lowest index on ties; NaN is never the highest. */
    static int argmax(float[] logits) {
        int best = 0;
        for (int i = 1; i < logits.length; i++) {
            if (logits[i] > logits[best] || Float.isNaN(logits[best])) {
                best = i;
            }
        }
        return best;
    }
}
