package io.slmserve.core;

/** A model's tokenizer, as the layers above the engine see it. Thread-safe. */
public interface TextTokenizer {

    /**
     * Tokenizes with the model's special tokens.
     *
     * @param truncate when false, an input longer than {@link #maxTokens()} is an error
     * @throws ServingException INPUT_TOO_LONG when the input exceeds maxTokens and truncate is false
     */
    TokenizedText encode(String text, boolean truncate);

    /**
     * Tokenizes a (query, passage) pair with the tokenizer's pair template and token types. Only the passage is
     * cut to fit: from its end, or from its start when {@code truncateLeft}.
     *
     * @throws ServingException INPUT_TOO_LONG (field {@code texts}) when the pair is too long and truncate is
     *                          false, or when the query alone leaves no room for the passage
     */
    default TokenizedPair encodePair(String query, String passage, boolean truncate, boolean truncateLeft) {
        throw new UnsupportedOperationException("this tokenizer does not encode pairs");
    }

    /** The model's max_input_tokens, special tokens included. */
    int maxTokens();

    String decode(long[] ids, boolean skipSpecialTokens);

    int vocabularySize();

    /** The mask token (e.g. {@code [MASK]}) of masked-LM tokenizers, or null. */
    String maskToken();

    /** Id of {@link #maskToken()}, or -1. */
    long maskTokenId();

    /**
     * The bytes each token id contributes to decoded text (index = token id), null for special tokens; or null
     * when the vocabulary cannot be mapped to bytes. Used to constrain generation to a language of texts.
     */
    default byte[][] tokenBytes() {
        return null;
    }
}
