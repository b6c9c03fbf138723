package io.slmserve.core;

import java.util.Set;

/**
 * A model's own generation defaults (Hugging Face generation_config.json), used where a request leaves a
 * parameter unset, as vLLM does: the model's value replaces the API's default, an explicit request value always
 * wins. Every field is null when the folder does not set it.
 *
 * @param doSample          false: the model's authors decode greedily (a request that leaves the choice open runs
 *                          greedy); true or null: sample at {@code temperature} where one is given
 * @param temperature       >= 0 (0 means greedy)
 * @param topP              in (0, 1]
 * @param topK              >= 0 (0 is off)
 * @param minP              in [0, 1]
 * @param repetitionPenalty > 0
 * @param maxNewTokens      >= 1; capped by the room the prompt leaves, like any default
 */
public record GenerationDefaults(Boolean doSample, Double temperature, Double topP, Integer topK, Double minP,
                                 Double repetitionPenalty, Integer maxNewTokens) {

    /** No defaults: every API keeps its own. */
    public static final GenerationDefaults NONE = new GenerationDefaults(null, null, null, null, null, null, null);

    /** A parameter a request can leave to the model. */
    public enum Field {
        /**
         * The request left greedy-or-sampling open (OpenAI: no temperature): the model's do_sample false makes it
         * greedy, otherwise the model's temperature applies (0 greedy).
         */
        SAMPLING,
        /** The request samples but gave no temperature (TGI: do_sample true without temperature). */
        TEMPERATURE,
        TOP_P,
        TOP_K,
        MIN_P,
        REPETITION_PENALTY,
        /** Applied by the caller once the prompt length is known (see {@link #maxNewTokens()}). */
        MAX_NEW_TOKENS
    }

    public GenerationDefaults {
        check(temperature == null || (Double.isFinite(temperature) && temperature >= 0), "temperature", "must be >= 0");
        check(topP == null || (topP > 0 && topP <= 1), "top_p", "must be in (0, 1]");
        check(topK == null || topK >= 0, "top_k", "must be >= 0");
        check(minP == null || (minP >= 0 && minP <= 1), "min_p", "must be in [0, 1]");
        check(repetitionPenalty == null || (Double.isFinite(repetitionPenalty) && repetitionPenalty > 0),
                "repetition_penalty", "must be > 0");
        check(maxNewTokens == null || maxNewTokens >= 1, "max_new_tokens", "must be >= 1");
    }

    private static void check(boolean ok, String field, String message) {
        if (!ok) {
            throw new IllegalArgumentException(field + " " + message);
        }
    }

    /** True when the folder sets nothing. */
    public boolean isEmpty() {
        return equals(NONE);
    }

    /**
     * The request's parameters with the model's defaults in the fields it left unset. A beam search keeps its
     * deterministic, penalty-free settings (a model's repetition_penalty would make the request invalid).
     */
    public GenerationParams applyTo(GenerationParams params, Set<Field> unset) {
        if (isEmpty() || unset.isEmpty()) {
            return params;
        }
        GenerationParams.Builder b = params.toBuilder();
        boolean sample = params.sample();
        if (unset.contains(Field.SAMPLING) && !params.beamSearch()) {
            if (Boolean.FALSE.equals(doSample)) {
                sample = false;
            } else if (temperature != null) {
                sample = temperature > 0;
                if (sample) {
                    b.temperature(temperature);
                }
            }
        } else if (unset.contains(Field.TEMPERATURE) && sample && temperature != null && temperature > 0) {
            b.temperature(temperature);
        }
        b.sample(sample);
        if (unset.contains(Field.TOP_P) && topP != null) {
            b.topP(topP);
        }
        if (unset.contains(Field.TOP_K) && topK != null) {
            b.topK(topK);
        }
        if (unset.contains(Field.MIN_P) && minP != null) {
            b.minP(minP);
        }
        if (unset.contains(Field.REPETITION_PENALTY) && repetitionPenalty != null && !params.beamSearch()) {
            b.repetitionPenalty(repetitionPenalty);
        }
        return b.build();
    }
}
