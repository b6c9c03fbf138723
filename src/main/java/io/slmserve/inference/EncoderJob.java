package io.slmserve.inference;

import io.slmserve.batching.BatchInput;
import java.util.List;

/**
 * One request's tokenized rows, queued as a unit so a request is never split across callers.
 *
 * @param tokens    rows of token ids
 * @param maskIndex fill-mask only: the position of the mask token in each row, else null
 * @param topK      fill-mask only: how many candidates per mask
 */
record EncoderJob(List<long[]> tokens, int[] maskIndex, int topK) implements BatchInput {

    static EncoderJob of(List<long[]> tokens) {
        return new EncoderJob(tokens, null, 0);
    }

    @Override
    public int rows() {
        return tokens.size();
    }

    @Override
    public int longestRow() {
        int longest = 0;
        for (long[] row : tokens) {
            longest = Math.max(longest, row.length);
        }
        return longest;
    }
}
