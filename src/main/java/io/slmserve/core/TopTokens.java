package io.slmserve.core;

/**
 * The most probable tokens at one position, best first.
 *
 * @param ids           token ids
 * @param probabilities softmax probabilities over the whole vocabulary, same order
 */
public record TopTokens(long[] ids, float[] probabilities) {
}
