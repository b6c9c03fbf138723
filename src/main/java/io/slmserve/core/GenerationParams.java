package io.slmserve.core;

import java.util.List;
import java.util.Map;

/**
 * How to generate one sequence: sampling, penalties and stopping, validated on construction so that a bad
 * value is a 400 naming the field. Defaults are neutral (no filter, no penalty).
 *
 * @param maxNewTokens      tokens to generate at most; null: up to the model's max_total_tokens
 * @param sample            false: greedy (argmax); true: sample from the filtered distribution
 * @param temperature       divides the logits when sampling (> 0)
 * @param topK              keep the k most likely tokens; 0 = off
 * @param topP              nucleus: keep the smallest set with this much probability; 1 = off
 * @param minP              drop tokens below minP x the top probability; 0 = off
 * @param typicalP          locally typical sampling mass; 1 = off
 * @param repetitionPenalty CTRL-style penalty on tokens already present (prompt and output); 1 = off
 * @param presencePenalty   OpenAI: subtracted once from a generated token's logit; 0 = off
 * @param frequencyPenalty  OpenAI: subtracted per occurrence of a generated token; 0 = off
 * @param seed              random seed; null: a fresh one per request (reported back)
 * @param minTokens         end-of-sequence and stop ids are suppressed until this many tokens exist
 * @param stop              stop strings, excluded from the output (their count is limited by the server)
 * @param stopTokenIds      token ids that end the sequence like the end-of-sequence token
 * @param ignoreEos         keep generating past the end-of-sequence token
 * @param logprobs          report each token's log-probability
 * @param topNTokens        report this many most likely alternatives per token (0 = none)
 * @param logitBias         OpenAI: added to each listed token id's logit before sampling, in [-100, 100]
 * @param numBeams          beam search width; 1 = no beam search. Beams are deterministic and report the best
 *                          hypothesis only, so they exclude sampling, stops other than end of sequence, penalties
 *                          and alternatives
 * @param lengthPenalty     beam search: a finished hypothesis scores sum(logprob) / length^lengthPenalty
 * @param earlyStopping     beam search, as Hugging Face: true stops once num_beams hypotheses are finished; false
 *                          stops once no live beam can still beat the worst of them
 */
public record GenerationParams(
        Integer maxNewTokens,
        boolean sample,
        double temperature,
        int topK,
        double topP,
        double minP,
        double typicalP,
        double repetitionPenalty,
        double presencePenalty,
        double frequencyPenalty,
        Long seed,
        int minTokens,
        List<String> stop,
        List<Long> stopTokenIds,
        boolean ignoreEos,
        boolean logprobs,
        int topNTokens,
        Map<Long, Double> logitBias,
        int numBeams,
        double lengthPenalty,
        boolean earlyStopping) {

    public static final int MAX_TOP_N_TOKENS = 20;
    public static final double MAX_LOGIT_BIAS = 100;
    public static final int MAX_BEAMS = 16;

    public GenerationParams {
        stop = stop == null ? List.of() : List.copyOf(stop);
        stopTokenIds = stopTokenIds == null ? List.of() : List.copyOf(stopTokenIds);
        logitBias = logitBias == null ? Map.of() : Map.copyOf(logitBias);
        check(maxNewTokens == null || maxNewTokens >= 1, "max_new_tokens", "must be >= 1");
        check(temperature > 0 || !sample, "temperature", "must be > 0 when sampling (0 means greedy)");
        check(Double.isFinite(temperature) && temperature >= 0, "temperature", "must be a finite number >= 0");
        check(topK >= 0, "top_k", "must be >= 0 (0 disables it)");
        check(topP > 0 && topP <= 1, "top_p", "must be in (0, 1]");
        check(minP >= 0 && minP <= 1, "min_p", "must be in [0, 1]");
        check(typicalP > 0 && typicalP <= 1, "typical_p", "must be in (0, 1]");
        check(repetitionPenalty > 0 && Double.isFinite(repetitionPenalty), "repetition_penalty", "must be > 0");
        check(presencePenalty >= -2 && presencePenalty <= 2, "presence_penalty", "must be in [-2, 2]");
        check(frequencyPenalty >= -2 && frequencyPenalty <= 2, "frequency_penalty", "must be in [-2, 2]");
        check(minTokens >= 0, "min_tokens", "must be >= 0");
        check(maxNewTokens == null || minTokens <= maxNewTokens, "min_tokens", "must be <= max_new_tokens");
        check(stop.stream().allMatch(s -> s != null && !s.isEmpty()), "stop", "stop strings must not be empty");
        check(stopTokenIds.stream().allMatch(id -> id != null && id >= 0), "stop_token_ids", "must be token ids >= 0");
        check(topNTokens >= 0 && topNTokens <= MAX_TOP_N_TOKENS, "top_n_tokens",
                "must be between 0 and " + MAX_TOP_N_TOKENS);
        check(logitBias.keySet().stream().allMatch(id -> id >= 0), "logit_bias", "keys must be token ids >= 0");
        check(logitBias.values().stream().allMatch(b -> b != null && b >= -MAX_LOGIT_BIAS && b <= MAX_LOGIT_BIAS),
                "logit_bias", "values must be between -100 and 100");
        check(numBeams >= 1 && numBeams <= MAX_BEAMS, "num_beams", "must be between 1 and " + MAX_BEAMS);
        check(Double.isFinite(lengthPenalty), "length_penalty", "must be a finite number");
        if (numBeams > 1) {
            check(logitBias.isEmpty(), "num_beams", "beam search excludes logit_bias");
            check(!sample, "num_beams",
                    "beam search is deterministic: it excludes sampling (do_sample, temperature > 0)");
            check(stop.isEmpty() && stopTokenIds.isEmpty() && !ignoreEos, "num_beams",
                    "beam search ends at the end-of-sequence token only: it excludes stop, stop_token_ids, ignore_eos");
            check(repetitionPenalty == 1.0 && presencePenalty == 0 && frequencyPenalty == 0, "num_beams",
                    "beam search excludes repetition, presence and frequency penalties");
            check(topNTokens == 0, "num_beams", "beam search excludes top_n_tokens / top_logprobs");
        }
    }

    /** True when the sequence runs a beam search rather than one greedy or sampled path. */
    public boolean beamSearch() {
        return numBeams > 1;
    }

    /** Greedy decoding with the model's limit as the only stop besides end of sequence. */
    public static GenerationParams greedy(Integer maxNewTokens) {
        return builder().maxNewTokens(maxNewTokens).build();
    }

    public static Builder builder() {
        return new Builder();
    }

    /** The same parameters with another token limit (resolved once the prompt length is known). */
    public GenerationParams withMaxNewTokens(int tokens) {
        return toBuilder().maxNewTokens(tokens).build();
    }

    /** The same parameters with another seed (the n choices of one request differ by seed). */
    public GenerationParams withSeed(long value) {
        return toBuilder().seed(value).build();
    }

    public Builder toBuilder() {
        return new Builder().maxNewTokens(maxNewTokens).sample(sample).temperature(temperature).topK(topK).topP(topP)
                .minP(minP).typicalP(typicalP).repetitionPenalty(repetitionPenalty).presencePenalty(presencePenalty)
                .frequencyPenalty(frequencyPenalty).seed(seed).minTokens(minTokens).stop(stop)
                .stopTokenIds(stopTokenIds).ignoreEos(ignoreEos).logprobs(logprobs).topNTokens(topNTokens)
                .logitBias(logitBias)
                .numBeams(numBeams).lengthPenalty(lengthPenalty).earlyStopping(earlyStopping);
    }

    private static void check(boolean ok, String param, String message) {
        if (!ok) {
            throw ServingException.invalid(param, param + " " + message);
        }
    }

    /** Fluent construction from the API's optional fields; unset fields keep the neutral defaults. */
    public static final class Builder {
        private Integer maxNewTokens;
        private boolean sample;
        private double temperature = 1.0;
        private int topK;
        private double topP = 1.0;
        private double minP;
        private double typicalP = 1.0;
        private double repetitionPenalty = 1.0;
        private double presencePenalty;
        private double frequencyPenalty;
        private Long seed;
        private int minTokens;
        private List<String> stop = List.of();
        private List<Long> stopTokenIds = List.of();
        private boolean ignoreEos;
        private boolean logprobs;
        private int topNTokens;
        private Map<Long, Double> logitBias = Map.of();
        private int numBeams = 1;
        private double lengthPenalty = 1.0;
        private boolean earlyStopping;

        public Builder maxNewTokens(Integer v) { maxNewTokens = v; return this; }
        public Builder sample(boolean v) { sample = v; return this; }
        public Builder temperature(double v) { temperature = v; return this; }
        public Builder topK(int v) { topK = v; return this; }
        public Builder topP(double v) { topP = v; return this; }
        public Builder minP(double v) { minP = v; return this; }
        public Builder typicalP(double v) { typicalP = v; return this; }
        public Builder repetitionPenalty(double v) { repetitionPenalty = v; return this; }
        public Builder presencePenalty(double v) { presencePenalty = v; return this; }
        public Builder frequencyPenalty(double v) { frequencyPenalty = v; return this; }
        public Builder seed(Long v) { seed = v; return this; }
        public Builder minTokens(int v) { minTokens = v; return this; }
        public Builder stop(List<String> v) { stop = v; return this; }
        public Builder stopTokenIds(List<Long> v) { stopTokenIds = v; return this; }
        public Builder ignoreEos(boolean v) { ignoreEos = v; return this; }
        public Builder logprobs(boolean v) { logprobs = v; return this; }
        public Builder topNTokens(int v) { topNTokens = v; return this; }
        public Builder logitBias(Map<Long, Double> v) { logitBias = v; return this; }
        public Builder numBeams(int v) { numBeams = v; return this; }
        public Builder lengthPenalty(double v) { lengthPenalty = v; return this; }
        public Builder earlyStopping(boolean v) { earlyStopping = v; return this; }

        public GenerationParams build() {
            return new GenerationParams(maxNewTokens, sample, temperature, topK, topP, minP, typicalP,
                    repetitionPenalty, presencePenalty, frequencyPenalty, seed, minTokens, stop, stopTokenIds,
                    ignoreEos, logprobs, topNTokens, logitBias, numBeams, lengthPenalty, earlyStopping);
        }
    }
}
