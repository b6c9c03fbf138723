package io.slmserve.inference;

import java.util.List;

/**
 * Embeddings in input order.
 *
 * @param model        id of the model that produced them
 * @param vectors      one per input
 * @param promptTokens tokens consumed, special tokens included
 */
public record EmbeddingResult(String model, List<float[]> vectors, int promptTokens) {
}
