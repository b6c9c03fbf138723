package io.slmserve.generation;

import io.slmserve.core.GenerationParams;
import java.util.Arrays;

/**
 * Picks each sequence's next token from its row of logits: penalties, then greedy argmax or sampling after
 * temperature, top-k, top-p, typical-p and min-p (the order of Hugging Face and vLLM). Randomness comes only
 * from the sequence's own seeded generator, so the same seed and logits give the same tokens. One instance per
 * worker thread: its scratch arrays are reused across rows and steps.
 */
final class Sampler {

    private final int vocab;
    private final float[] work;
    private final double[] probs;
    private final long[] keys;

    Sampler(int vocab) {
        this.vocab = vocab;
        this.work = new float[vocab];
        this.probs = new double[vocab];
        this.keys = new long[vocab];
    }

    /** Chooses the next token of {@code seq} from {@code logits[offset .. offset + vocab)}. */
    int choose(Sequence seq, float[] logits, int offset) {
        GenerationParams p = seq.params();
        System.arraycopy(logits, offset, work, 0, vocab);
        seq.penalties().apply(work, p);
        // A constrained row's mask decides when the end token may come (only where the output is complete).
        if (seq.generated() < p.minTokens() && seq.constraint() == null) {
            seq.suppressStops(work);
        }
        if (!p.sample()) {
            return argmax(work);
        }
        float temperature = (float) p.temperature();
        for (int v = 0; v < vocab; v++) {
            work[v] /= temperature;
        }
        if (p.topK() > 0 && p.topK() < vocab) {
            keepTopK(p.topK());
        }
        double total = softmaxInto(probs);
        if (p.topP() < 1 || p.typicalP() < 1) {
            int n = sortedCandidates();
            if (p.typicalP() < 1) {
                total = typical(n, total, p.typicalP());
                n = sortedCandidates();
            }
            if (p.topP() < 1) {
                total = nucleus(n, total, p.topP());
            }
        }
        if (p.minP() > 0) {
            total = minP(total, p.minP());
        }
        double u = seq.random().nextDouble() * total;
        int last = -1;
        for (int v = 0; v < vocab; v++) {
            if (probs[v] > 0) {
                last = v;
                u -= probs[v];
                if (u < 0) {
                    return v;
                }
            }
        }
        return last >= 0 ? last : argmax(work);
    }

    private int argmax(float[] values) {
        int best = 0;
        for (int v = 1; v < vocab; v++) {
            if (values[v] > values[best]) {
                best = v;
            }
        }
        return best;
    }

    /** Everything below the k-th largest logit becomes -inf (ties with it are kept). */
    private void keepTopK(int k) {
        float[] copy = work.clone();
        Arrays.sort(copy);
        float threshold = copy[vocab - k];
        for (int v = 0; v < vocab; v++) {
            if (work[v] < threshold) {
                work[v] = Float.NEGATIVE_INFINITY;
            }
        }
    }

    /** Unnormalised probabilities exp(x - max); returns their sum. */
    private double softmaxInto(double[] out) {
        float max = Float.NEGATIVE_INFINITY;
        for (int v = 0; v < vocab; v++) {
            max = Math.max(max, work[v]);
        }
        double sum = 0;
        for (int v = 0; v < vocab; v++) {
            out[v] = work[v] == Float.NEGATIVE_INFINITY ? 0 : Math.exp(work[v] - max);
            sum += out[v];
        }
        return sum;
    }

    /** Fills keys with the non-zero candidates, most probable first (ties by id); returns how many. */
    private int sortedCandidates() {
        int n = 0;
        for (int v = 0; v < vocab; v++) {
            if (probs[v] > 0) {
                // Positive floats order like their bits; inverting them sorts descending by probability.
                keys[n++] = ((long) (Integer.MAX_VALUE - Float.floatToIntBits((float) probs[v])) << 32) | v;
            }
        }
        Arrays.sort(keys, 0, n);
        return n;
    }

    private double nucleus(int n, double total, double topP) {
        double kept = 0;
        int i = 0;
        while (i < n && kept < topP * total) {
            kept += probs[(int) keys[i++]];
        }
        for (; i < n; i++) {
            probs[(int) keys[i]] = 0;
        }
        return kept;
    }

    /** Locally typical sampling: keep tokens whose surprise is closest to the entropy, up to mass typicalP. */
    private double typical(int n, double total, double typicalP) {
        double entropy = 0;
        for (int i = 0; i < n; i++) {
            double q = probs[(int) keys[i]] / total;
            entropy -= q * Math.log(q);
        }
        for (int i = 0; i < n; i++) {
            int v = (int) keys[i];
            double distance = Math.abs(-Math.log(probs[v] / total) - entropy);
            keys[i] = ((long) Float.floatToIntBits((float) distance) << 32) | v;
        }
        Arrays.sort(keys, 0, n);
        double kept = 0;
        int i = 0;
        while (i < n && kept < typicalP * total) {
            kept += probs[(int) keys[i++]];
        }
        for (; i < n; i++) {
            probs[(int) keys[i]] = 0;
        }
        return kept;
    }

    private double minP(double total, double minP) {
        double top = 0;
        for (int v = 0; v < vocab; v++) {
            top = Math.max(top, probs[v]);
        }
        double floor = top * minP;
        double kept = 0;
        for (int v = 0; v < vocab; v++) {
            if (probs[v] < floor) {
                probs[v] = 0;
            }
            kept += probs[v];
        }
        return kept;
    }
}
