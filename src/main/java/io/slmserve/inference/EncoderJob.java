package io.slmserve.inference;

import io.slmserve.batching.BatchInput;
import java.util.List;

/** One request's tokenized rows, queued as a unit so a request is never split across callers. */
record EncoderJob(List<long[]> tokens) implements BatchInput {

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
