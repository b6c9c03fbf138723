package io.slmserve.api;

import java.util.ArrayList;
import java.util.List;

/**
 * Picks three prompts and an id in each one's greedy output such that each output meets its own id before the other
 * two: with all three as end-of-sequence ids, each prompt must stop at its own.
 */
final class EosTriple {

    /** nano-gpt's own end of sequence, which ends a greedy output wherever it comes and so cannot be picked. */
    static final long NANO_GPT_EOS = 8191;

    private EosTriple() {
    }

    /**
     * @return {prompt0, index0, prompt1, index1, prompt2, index2}, or null; indices at least 2 where possible,
     *         so that each stop comes after some ordinary tokens
     */
    static int[] find(List<List<Long>> outputs) {
        for (int minIndex = 2; minIndex >= 0; minIndex--) {
            int[] found = search(outputs, minIndex);
            if (found != null) {
                return found;
            }
        }
        return null;
    }

    private static int[] search(List<List<Long>> out, int minIndex) {
        int n = out.size();
        for (int p0 = 0; p0 < n; p0++) {
            for (int p1 = p0 + 1; p1 < n; p1++) {
                for (int p2 = p1 + 1; p2 < n; p2++) {
                    int[] prompts = {p0, p1, p2};
                    int[] at = new int[3];
                    if (choose(out, prompts, at, 0, minIndex)) {
                        return new int[] {p0, at[0], p1, at[1], p2, at[2]};
                    }
                }
            }
        }
        return null;
    }

    /** Backtracking over each prompt's first occurrences of ids not yet chosen. */
    private static boolean choose(List<List<Long>> out, int[] prompts, int[] at, int k, int minIndex) {
        if (k == 3) {
            List<Long> ids = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                ids.add(out.get(prompts[i]).get(at[i]));
            }
            if (ids.stream().distinct().count() < 3 || ids.contains(NANO_GPT_EOS)) {
                return false;
            }
            for (int i = 0; i < 3; i++) {
                List<Long> seq = out.get(prompts[i]);
                for (int j = 0; j < at[i]; j++) {
                    if (ids.contains(seq.get(j))) {
                        return false;
                    }
                }
            }
            return true;
        }
        List<Long> seq = out.get(prompts[k]);
        for (int i = minIndex; i < seq.size(); i++) {
            if (seq.subList(0, i).contains(seq.get(i))) {
                continue;
            }
            at[k] = i;
            if (choose(out, prompts, at, k + 1, minIndex)) {
                return true;
            }
        }
        return false;
    }
}
