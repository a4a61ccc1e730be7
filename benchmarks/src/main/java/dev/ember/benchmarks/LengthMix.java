package dev.ember.benchmarks;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;

/**
 * Texts of a wide, even spread of lengths, the same on every run: word counts step evenly from the shortest to the
 * longest, in an order and with words drawn by a seeded random. Every word is one token of all-MiniLM-L6-v2's
 * vocabulary, so a text of n words is n + 3 tokens ([CLS], the words, the full stop, [SEP]).
 */
final class LengthMix {

    static final long SEED = 12;
    static final int TEXTS = 64;
    /** 5 tokens. */
    static final int MIN_WORDS = 2;
    /** 149 tokens. */
    static final int MAX_WORDS = 146;

    private static final List<String> WORDS = List.of(
            "the", "a", "of", "and", "to", "in", "is", "it", "that", "for", "on", "with", "as", "was", "at", "by",
            "this", "from", "they", "we", "her", "she", "or", "an", "will", "my", "one", "all", "would", "there",
            "their", "what", "so", "up", "out", "if", "about", "who", "get", "which", "go", "me", "when", "make",
            "can", "like", "time", "no", "just", "him", "know", "take", "people", "into", "year", "your", "good",
            "some", "could", "them", "see", "other", "than", "then", "now", "look", "only", "come", "over", "think",
            "also", "back", "after", "use", "two", "how", "our", "work", "first", "well", "way", "even", "new",
            "want", "because", "any", "these", "give", "day", "most", "city", "water", "music", "river", "light",
            "house", "night", "small", "large", "green", "market", "school", "train", "road", "world", "family");

    private LengthMix() {
    }

    /** The mix the scenarios use. */
    static List<String> standard() {
        return texts(SEED, TEXTS, MIN_WORDS, MAX_WORDS);
    }

    /** {@code count} texts whose word counts step evenly from {@code minWords} to {@code maxWords}, shuffled. */
    static List<String> texts(long seed, int count, int minWords, int maxWords) {
        if (count < 2 || minWords < 1 || maxWords < minWords) {
            throw new IllegalArgumentException("need at least 2 texts and 1 <= minWords <= maxWords");
        }
        Random random = new Random(seed);
        List<Integer> lengths = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            lengths.add(minWords + (int) Math.round(i * (maxWords - minWords) / (count - 1.0)));
        }
        Collections.shuffle(lengths, random);
        List<String> texts = new ArrayList<>(count);
        for (int words : lengths) {
            StringBuilder text = new StringBuilder();
            for (int w = 0; w < words; w++) {
                String word = WORDS.get(random.nextInt(WORDS.size()));
                text.append(w == 0 ? Character.toUpperCase(word.charAt(0)) + word.substring(1) : " " + word);
            }
            texts.add(text.append('.').toString());
        }
        return List.copyOf(texts);
    }
}
