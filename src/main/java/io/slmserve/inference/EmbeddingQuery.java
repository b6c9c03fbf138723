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
 * @param normalize  L2-normalise the result; null: as the folder says (Normalize module / option.normalize)
 * @param dimensions keep the first N dimensions (then re-normalise), or null for all
 * @param promptName a prompt the folder declares (config_sentence_transformers.json), prepended to each text;
 *                   null: the folder's default_prompt_name, if any
 * @param endpoint   metrics tag
 * @param deadline   when to stop waiting for the result (504)
 */
public record EmbeddingQuery(String model, List<String> texts, List<long[]> tokenIds, boolean truncate,
        Boolean normalize, Integer dimensions, String promptName, String endpoint, Deadline deadline) {

    public EmbeddingQuery(String model, List<String> texts, List<long[]> tokenIds, boolean truncate,
            Boolean normalize, Integer dimensions, String endpoint, Deadline deadline) {
        this(model, texts, tokenIds, truncate, normalize, dimensions, null, endpoint, deadline);
    }
}
