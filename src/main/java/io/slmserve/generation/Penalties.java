package io.slmserve.generation;

import io.slmserve.core.GenerationParams;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * One sequence's token history for penalties: the repetition penalty (CTRL, as Hugging Face applies it) over
 * prompt and generated tokens, and OpenAI's presence and frequency penalties over generated tokens only; OpenAI's
 * logit_bias is added first.
 * Tracks nothing when every penalty is off.
 */
final class Penalties {

    private final boolean repetition;
    private final boolean counted;
    private final Set<Long> seen = new HashSet<>();
    private final Map<Long, Integer> counts = new HashMap<>();

    Penalties(long[] prompt, GenerationParams params) {
        this.repetition = params.repetitionPenalty() != 1.0;
        this.counted = params.presencePenalty() != 0 || params.frequencyPenalty() != 0;
        if (repetition) {
            for (long id : prompt) {
                seen.add(id);
            }
        }
    }

    void record(long token) {
        if (repetition) {
            seen.add(token);
        }
        if (counted) {
            counts.merge(token, 1, Integer::sum);
        }
    }

    void apply(float[] logits, GenerationParams params) {
        for (Map.Entry<Long, Double> bias : params.logitBias().entrySet()) {
            int v = bias.getKey().intValue();
            if (v >= 0 && v < logits.length) {
                logits[v] += bias.getValue().floatValue();
            }
        }
        if (repetition) {
            float penalty = (float) params.repetitionPenalty();
            for (long id : seen) {
                int v = (int) id;
                if (v >= 0 && v < logits.length) {
                    logits[v] = logits[v] > 0 ? logits[v] / penalty : logits[v] * penalty;
                }
            }
        }
        if (counted) {
            for (Map.Entry<Long, Integer> e : counts.entrySet()) {
                int v = e.getKey().intValue();
                if (v >= 0 && v < logits.length) {
                    logits[v] -= (float) (params.presencePenalty() + params.frequencyPenalty() * e.getValue());
                }
            }
        }
    }
}
