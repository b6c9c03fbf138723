package io.slmserve.core;

import java.util.Objects;

/**
 * What the generation path needs to know about a decoder or encoder-decoder checkpoint.
 *
 * @param vocabularySize logits per row
 * @param slots          cache slots per session: sequences one worker runs at once ({@code batch_size})
 * @param maxTotalTokens prompt (or source) plus generated tokens one sequence may hold ({@code max_total_tokens})
 * @param eosTokenId     the end-of-sequence token, or -1 when the model has none
 * @param eosToken       its text, for chat templates ("" when none)
 * @param bosToken       the begin-of-sequence text, for chat templates ("" when none)
 * @param chatTemplate   tokenizer_config.json's chat_template, or null
 * @param encoderDecoder true for the encoder-decoder family: the prompt is the encoder's source, not a prefix of
 *                       the generated text (no chat, no repetition penalty over it)
 * @param maxNewTokens   most tokens one sequence may generate whatever its prompt (the self-attention cache
 *                       length of an encoder-decoder, less the start token)
 */
public record DecoderInfo(int vocabularySize, int slots, int maxTotalTokens, long eosTokenId, String eosToken,
                          String bosToken, String chatTemplate, boolean encoderDecoder, int maxNewTokens) {

    public DecoderInfo {
        Objects.requireNonNull(eosToken, "eosToken");
        Objects.requireNonNull(bosToken, "bosToken");
        if (vocabularySize <= 0 || slots <= 0 || maxTotalTokens <= 0 || maxNewTokens <= 0) {
            throw new IllegalArgumentException("vocabulary, slots, max_total_tokens and max new tokens must be > 0");
        }
    }

    /** A decoder: the prompt and the generated tokens share one cache of max_total_tokens positions. */
    public DecoderInfo(int vocabularySize, int slots, int maxTotalTokens, long eosTokenId, String eosToken,
                       String bosToken, String chatTemplate) {
        this(vocabularySize, slots, maxTotalTokens, eosTokenId, eosToken, bosToken, chatTemplate, false,
                maxTotalTokens);
    }
}
