package io.slmserve.core;

import java.util.List;

/**
 * One worker's handle on an encoder: owns a predictor, so it is used by one thread at a time.
 * Every native tensor a call makes is freed before the call returns.
 */
public interface EncoderSession extends AutoCloseable {

    /**
     * Runs one padded forward pass and mean-pools the last hidden state over real tokens.
     *
     * @param rows token ids per row, special tokens included; rows may differ in length
     * @return one pooled, not yet normalised vector per row, in row order
     */
    float[][] embed(List<long[]> rows);

    @Override
    void close();
}
