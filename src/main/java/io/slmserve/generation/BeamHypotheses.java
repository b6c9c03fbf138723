package io.slmserve.generation;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * The n best finished hypotheses of one beam search, with Hugging Face's {@code BeamHypotheses} rules: a
 * hypothesis scores sum(logprob) / generated_length^length_penalty; it enters while fewer than n are kept or when
 * it beats the worst kept one, which then leaves.
 */
final class BeamHypotheses {

    private final int n;
    private final double lengthPenalty;
    private final boolean earlyStopping;
    private final List<Hypothesis> kept = new ArrayList<>();
    private double worst = Double.POSITIVE_INFINITY;

    BeamHypotheses(int n, double lengthPenalty, boolean earlyStopping) {
        this.n = n;
        this.lengthPenalty = lengthPenalty;
        this.earlyStopping = earlyStopping;
    }

    static double score(double sumLogprobs, int length, double lengthPenalty) {
        return sumLogprobs / Math.pow(length, lengthPenalty);
    }

    void add(long[] tokens, double[] logprobs, double sumLogprobs, int length) {
        double score = score(sumLogprobs, length, lengthPenalty);
        if (kept.size() < n || score > worst) {
            kept.add(new Hypothesis(tokens, logprobs, score));
            if (kept.size() > n) {
                kept.sort(Comparator.comparingDouble(Hypothesis::score));
                kept.remove(0);
                worst = kept.get(0).score;
            } else {
                worst = Math.min(score, worst);
            }
        }
    }

    /**
     * Whether no live beam can enter any more: n hypotheses kept and, unless early stopping, the best live
     * continuation (summed log-probability {@code bestLive} at {@code length} tokens) cannot beat the worst.
     */
    boolean isDone(double bestLive, int length) {
        if (kept.size() < n) {
            return false;
        }
        return earlyStopping || worst >= score(bestLive, length, lengthPenalty);
    }

    Hypothesis best() {
        return kept.stream().max(Comparator.comparingDouble(Hypothesis::score))
                .orElseThrow(() -> new IllegalStateException("no finished hypothesis"));
    }

    /** A finished sequence: tokens (the end token included when it ended so), their log-probabilities, score. */
    record Hypothesis(long[] tokens, double[] logprobs, double score) {
    }
}
