package io.slmserve.inference;

import io.slmserve.batching.BatchInput;
import java.util.List;

/**
 * One request's tokenized rows, queued as a unit so a request is never split across callers.
 *
 * @param tokens    rows of token ids
 * @param maskIndex fill-mask only: the position of the mask token in each row, else null
 * @param topK      fill-mask only: how many candidates per mask
 * @param typeIds   pairs (cross-encoder rerank): token types per row, else null (all 0)
 * @param perToken  embedding models: return every token's state ({@code /embed_all}) instead of pooling
 */
record EncoderJob(List<long[]> tokens, int[] maskIndex, int topK, List<long[]> typeIds, boolean perToken)
        implements BatchInput {

    EncoderJob(List<long[]> tokens, int[] maskIndex, int topK) {
        this(tokens, maskIndex, topK, null, false);
    }

    static EncoderJob of(List<long[]> tokens) {
        return new EncoderJob(tokens, null, 0);
    }

    static EncoderJob pairs(List<long[]> tokens, List<long[]> typeIds) {
        return new EncoderJob(tokens, null, 0, typeIds, false);
    }

    static EncoderJob perToken(List<long[]> tokens) {
        return new EncoderJob(tokens, null, 0, null, true);
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
