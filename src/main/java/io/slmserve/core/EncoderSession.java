package io.slmserve.core;

import java.util.List;

/**
 * One worker's handle on an encoder: owns a predictor, so it is used by one thread at a time.
 * Every call is one padded forward pass; every native tensor it makes is freed before it returns.
 * Rows are token ids with special tokens included and may differ in length.
 */
public interface EncoderSession extends AutoCloseable {

    /** Mean-pools the last hidden state over real tokens: one not yet normalised vector per row. */
    float[][] embed(List<long[]> rows);

    /** Sequence-classification logits (no softmax): one {@code [num_labels]} row per input row. */
    float[][] classify(List<long[]> rows);

    /**
     * Masked-LM predictions: softmax over the vocabulary at {@code maskIndex[r]} of each row, reduced to the
     * {@code topK} best tokens on the engine side.
     */
    List<TopTokens> fillMask(List<long[]> rows, int[] maskIndex, int topK);

    @Override
    void close();
}
