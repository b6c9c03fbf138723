package io.slmserve.engine;

/**
 * The cache layout and special ids an encoder-decoder session needs.
 *
 * @param slots                sequences per session (batch_size)
 * @param maxSourceTokens      cross-cache length: the longest source (max_input_tokens)
 * @param maxDecoderTokens     self-cache length: the start token plus every generated token
 * @param decoderStartTokenId  fed at decoder position 0
 * @param padTokenId           fills right-padded source rows (never attended to)
 */
record Seq2SeqShape(int slots, int maxSourceTokens, int maxDecoderTokens, long decoderStartTokenId, long padTokenId) {
}
