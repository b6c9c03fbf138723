package io.slmserve.inference;

import io.slmserve.core.TopTokens;
import java.util.List;

/**
 * What one encoder job produced, per row in row order.
 *
 * @param rows  embedding models: pooled vectors; classifiers: logits. Null for fill-mask
 * @param masks fill-mask: the best tokens at each row's mask. Null otherwise
 */
record EncoderResult(float[][] rows, List<TopTokens> masks) {
}
