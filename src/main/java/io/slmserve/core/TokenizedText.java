package io.slmserve.core;

/**
 * One tokenized input, special tokens included, ready for a forward pass.
 *
 * @param ids       token ids
 * @param tokens    the token strings, for /tokenize (may be null for caller-supplied ids)
 * @param truncated whether tokens were dropped to fit the model's limit
 */
public record TokenizedText(long[] ids, String[] tokens, boolean truncated) {

    public int length() {
        return ids.length;
    }
}
