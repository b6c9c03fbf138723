package io.slmserve.inference;

import io.slmserve.core.Deadline;
import java.util.List;

/**
 * A validated embedding request, whichever endpoint it came from.
 *
 * @param model      model id, or null for the single embedding model
 * @param texts      input strings (exactly one of texts and tokenIds is non-null)
 * @param tokenIds   input token-id arrays, special tokens included
 * @param truncate   cut inputs longer than the model's limit instead of failing
 * @param normalize  L2-normalise the result
 * @param dimensions keep the first N dimensions (then re-normalise), or null for all
 * @param endpoint   metrics tag
 * @param deadline   when to stop waiting for the result (504)
 */
public record EmbeddingQuery(String model, List<String> texts, List<long[]> tokenIds, boolean truncate,
        boolean normalize, Integer dimensions, String endpoint, Deadline deadline) {
}
