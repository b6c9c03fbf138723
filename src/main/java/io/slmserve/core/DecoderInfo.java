package io.slmserve.core;

import java.util.Objects;

/**
 * What the generation path needs to know about a decoder checkpoint.
 *
 * @param vocabularySize logits per row
 * @param slots          cache slots per session: sequences one worker runs at once ({@code batch_size})
 * @param maxTotalTokens prompt plus generated tokens one sequence may hold ({@code max_total_tokens})
 * @param eosTokenId     the end-of-sequence token, or -1 when the model has none
 * @param eosToken       its text, for chat templates ("" when none)
 * @param bosToken       the begin-of-sequence text, for chat templates ("" when none)
 * @param chatTemplate   tokenizer_config.json's chat_template, or null
 */
public record DecoderInfo(int vocabularySize, int slots, int maxTotalTokens, long eosTokenId, String eosToken,
                          String bosToken, String chatTemplate) {

    public DecoderInfo {
        Objects.requireNonNull(eosToken, "eosToken");
        Objects.requireNonNull(bosToken, "bosToken");
        if (vocabularySize <= 0 || slots <= 0 || maxTotalTokens <= 0) {
            throw new IllegalArgumentException("vocabulary, slots and max_total_tokens must be > 0");
        }
    }
}
