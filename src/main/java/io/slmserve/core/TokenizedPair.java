package io.slmserve.core;

/**
 * A (query, passage) pair tokenized with the tokenizer's pair template.
 *
 * @param ids       token ids, special tokens included
 * @param typeIds   token type ids: 0 for the first segment, 1 for the second (all 0 for models with one type)
 * @param truncated whether the passage was cut to fit the model's limit
 */
public record TokenizedPair(long[] ids, long[] typeIds, boolean truncated) {
}
