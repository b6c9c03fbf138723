package io.slmserve.core;

import java.util.List;

/**
 * One worker's handle on an encoder: owns a predictor, so it is used by one thread at a time.
 * Every call is one padded forward pass; every native tensor it makes is freed before it returns.
 * Rows are token ids with special tokens included and may differ in length.
 */
public interface EncoderSession extends AutoCloseable {

    /**
     * Pools the last hidden state over each row's real tokens with the model's {@link Pooling}: one not yet
     * normalised vector per row.
     */
    float[][] embed(List<long[]> rows);

    /** The last hidden state of each row's real tokens: {@code [row length][hidden]} per row. */
    List<float[][]> tokenEmbeddings(List<long[]> rows);

    /** Sequence-classification logits (no softmax): one {@code [num_labels]} row per input row. */
    default float[][] classify(List<long[]> rows) {
        return classify(rows, null);
    }

    /**
     * Sequence-classification logits of rows with token types (pairs); {@code typeIds} null means all 0.
     */
    float[][] classify(List<long[]> rows, List<long[]> typeIds);

    /**
     * Masked-LM predictions: softmax over the vocabulary at {@code maskIndex[r]} of each row, reduced to the
     * {@code topK} best tokens on the engine side.
     */
    List<TopTokens> fillMask(List<long[]> rows, int[] maskIndex, int topK);

    /** Whether this session's calls widen to the idle cores when alone (its worker should take lone requests). */
    default boolean widensAlone() {
        return false;
    }

    @Override
    void close();
}
