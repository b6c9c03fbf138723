package io.slmserve.bench;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;

/**
 * The fixed, deterministic input sets every contender sees.
 *
 * <p>Short: 200 distinct English sentences of about 12 tokens (counted as the model sees them, [CLS] and [SEP]
 * included), drawn without repetition from subject x action x circumstance lists with a fixed seed.
 * Long: 64 distinct texts of at most 128 tokens, built by appending whole words of further generated sentences
 * while the real tokenizer still counts at most 128 tokens, so they fill the model's 128-token window
 * (all-MiniLM-L6-v2's tokenizer.json truncates at 128) and nobody truncates them.
 */
final class Inputs {

    static final int SHORT_COUNT = 200;
    static final int LONG_COUNT = 64;
    static final int LONG_MAX_TOKENS = 128;

    private static final String[] SUBJECTS = {
        "The new intern", "My neighbour", "Our support team", "A tired pilot", "The old librarian",
        "Every student", "The city council", "Her younger brother", "The night nurse", "A local baker",
        "The research group", "Our landlord", "The museum guide", "A quiet engineer", "The football coach",
        "My grandmother", "The delivery driver", "A young chemist", "The hotel manager", "The school principal",
    };
    private static final String[] ACTIONS = {
        "fixed the login bug", "painted the garden fence", "booked a cheap flight", "wrote a short report",
        "lost the spare keys", "cooked a spicy soup", "found a rare coin", "repaired the broken printer",
        "planted three apple trees", "sold the old piano", "cleaned the kitchen floor",
        "answered every customer email", "ordered fresh bread", "moved the heavy boxes", "read a long novel",
        "tested the new battery", "cancelled the weekly meeting", "bought a red bicycle",
        "measured the water level", "photographed the harbour",
    };
    private static final String[] CIRCUMSTANCES = {
        "before lunch", "on Monday", "near the station", "after the storm", "in the morning",
        "at the airport", "during the holidays", "last weekend", "without any help", "in the rain",
    };

    final List<String> shortTexts;
    final List<String> longTexts;
    final int[] shortTokens;
    final int[] longTokens;

    private Inputs(List<String> shortTexts, List<String> longTexts, int[] shortTokens, int[] longTokens) {
        this.shortTexts = List.copyOf(shortTexts);
        this.longTexts = List.copyOf(longTexts);
        this.shortTokens = shortTokens;
        this.longTokens = longTokens;
    }

    List<String> texts(boolean longSet) {
        return longSet ? longTexts : shortTexts;
    }

    int[] tokens(boolean longSet) {
        return longSet ? longTokens : shortTokens;
    }

    /** Builds both sets; the tokenizer must be the model's own, without padding. */
    static Inputs build(HuggingFaceTokenizer tokenizer) {
        List<String> shortTexts = sentences(new Random(20261128L), SHORT_COUNT);
        List<String> longTexts = new ArrayList<>();
        Random longRandom = new Random(128L);
        Set<String> seen = new LinkedHashSet<>(shortTexts);
        while (longTexts.size() < LONG_COUNT) {
            StringBuilder text = new StringBuilder();
            boolean full = false;
            while (!full) {
                String sentence = sentence(longRandom);
                for (String word : sentence.split(" ")) {
                    String candidate = text.length() == 0 ? word : text + " " + word;
                    if (count(tokenizer, candidate) > LONG_MAX_TOKENS) {
                        full = true;
                        break;
                    }
                    text.setLength(0);
                    text.append(candidate);
                }
            }
            if (seen.add(text.toString())) {
                longTexts.add(text.toString());
            }
        }
        return new Inputs(shortTexts, longTexts, counts(tokenizer, shortTexts), counts(tokenizer, longTexts));
    }

    static int count(HuggingFaceTokenizer tokenizer, String text) {
        return tokenizer.encode(text).getIds().length;
    }

    private static int[] counts(HuggingFaceTokenizer tokenizer, List<String> texts) {
        return texts.stream().mapToInt(t -> count(tokenizer, t)).toArray();
    }

    private static List<String> sentences(Random random, int n) {
        Set<String> out = new LinkedHashSet<>();
        while (out.size() < n) {
            out.add(sentence(random));
        }
        return new ArrayList<>(out);
    }

    private static String sentence(Random random) {
        return SUBJECTS[random.nextInt(SUBJECTS.length)] + " " + ACTIONS[random.nextInt(ACTIONS.length)] + " "
                + CIRCUMSTANCES[random.nextInt(CIRCUMSTANCES.length)] + ".";
    }

    static double mean(int[] values) {
        return Arrays.stream(values).average().orElse(0);
    }

    static double meanSquare(int[] values) {
        return Arrays.stream(values).mapToDouble(v -> (double) v * v).average().orElse(0);
    }
}
