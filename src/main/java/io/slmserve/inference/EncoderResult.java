package io.slmserve.inference;

import io.slmserve.core.TopTokens;
import java.util.List;

/**
 * What one encoder job produced, per row in row order.
 *
 * @param rows   embedding models: pooled vectors; classifiers and rerankers: logits. Null otherwise
 * @param masks  fill-mask: the best tokens at each row's mask. Null otherwise
 * @param tokens per-token jobs ({@code /embed_all}): each row's token states. Null otherwise
 */
record EncoderResult(float[][] rows, List<TopTokens> masks, List<float[][]> tokens) {

    EncoderResult(float[][] rows, List<TopTokens> masks) {
        this(rows, masks, null);
    }
}
