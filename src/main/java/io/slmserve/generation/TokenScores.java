package io.slmserve.generation;

import io.slmserve.core.GeneratedToken.TopToken;
import io.slmserve.core.GenerationParams;
import io.slmserve.core.TextTokenizer;
import java.util.ArrayList;
import java.util.List;

/** Log-probabilities under the model's own distribution (raw logits, before penalties and sampling filters). */
final class TokenScores {

    private TokenScores() {
    }

    /** The chosen token's logprob and the alternatives asked for (NaN and none when neither was asked). */
    record Scored(double logprob, List<TopToken> top) {
    }

    static Scored score(GenerationParams p, int token, float[] logits, int offset, int vocab, TextTokenizer tokenizer) {
        if (!p.logprobs() && p.topNTokens() == 0) {
            return new Scored(Double.NaN, List.of());
        }
        double lse = logSumExp(logits, offset, vocab);
        List<TopToken> top = p.topNTokens() > 0 ? top(logits, offset, vocab, p.topNTokens(), lse, tokenizer)
                : List.of();
        return new Scored(logits[offset + token] - lse, top);
    }

    static double logSumExp(float[] logits, int offset, int vocab) {
        float max = Float.NEGATIVE_INFINITY;
        for (int v = 0; v < vocab; v++) {
            max = Math.max(max, logits[offset + v]);
        }
        double sum = 0;
        for (int v = 0; v < vocab; v++) {
            sum += Math.exp(logits[offset + v] - max);
        }
        return max + Math.log(sum);
    }

    /** The n most likely tokens, best first, each with its text. */
    static List<TopToken> top(float[] logits, int offset, int vocab, int n, double logSumExp, TextTokenizer tokenizer) {
        int[] best = new int[n];
        int filled = 0;
        for (int v = 0; v < vocab; v++) {
            float x = logits[offset + v];
            if (x == Float.NEGATIVE_INFINITY) {
                continue; // masked out by a constraint: not an alternative
            }
            if (filled < n || x > logits[offset + best[filled - 1]]) {
                int i = filled < n ? filled++ : n - 1;
                while (i > 0 && logits[offset + best[i - 1]] < x) {
                    best[i] = best[i - 1];
                    i--;
                }
                best[i] = v;
            }
        }
        List<TopToken> out = new ArrayList<>(filled);
        for (int i = 0; i < filled; i++) {
            int id = best[i];
            out.add(new TopToken(id, tokenizer.decode(new long[] {id}, false), logits[offset + id] - logSumExp));
        }
        return out;
    }
}
