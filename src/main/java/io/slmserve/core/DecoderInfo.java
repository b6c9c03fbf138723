package io.slmserve.core;

import java.util.List;
import java.util.Objects;

/**
 * What the generation path needs to know about a decoder or encoder-decoder checkpoint.
 *
 * @param vocabularySize     logits per row
 * @param slots              cache slots per session: sequences one worker runs at once ({@code batch_size})
 * @param maxTotalTokens     prompt (or source) plus generated tokens one sequence may hold ({@code max_total_tokens})
 * @param eosTokenIds        every end-of-sequence id: generation stops at any of them (Llama-3.2 lists three);
 *                           empty when the model has none
 * @param eosToken           the end-of-sequence text, for chat templates ("" when none)
 * @param bosToken           the begin-of-sequence text, for chat templates ("" when none)
 * @param chatTemplate       the resolved chat template source (chat_template.jinja or tokenizer_config.json), or
 *                           null
 * @param encoderDecoder     true for the encoder-decoder family: the prompt is the encoder's source, not a prefix of
 *                           the generated text (no chat, no repetition penalty over it)
 * @param maxNewTokens       most tokens one sequence may generate whatever its prompt (the self-attention cache
 *                           length of an encoder-decoder, less the start token)
 * @param bos                whether the tokenizer prepends a BOS to prompts
 * @param generationDefaults generation_config.json's defaults for parameters a request leaves unset
 */
public record DecoderInfo(int vocabularySize, int slots, int maxTotalTokens, List<Long> eosTokenIds,
                          String eosToken, String bosToken, String chatTemplate, boolean encoderDecoder,
                          int maxNewTokens, BosPolicy bos, GenerationDefaults generationDefaults) {

    public DecoderInfo {
        eosTokenIds = List.copyOf(eosTokenIds);
        Objects.requireNonNull(eosToken, "eosToken");
        Objects.requireNonNull(bosToken, "bosToken");
        Objects.requireNonNull(bos, "bos");
        Objects.requireNonNull(generationDefaults, "generationDefaults");
        if (vocabularySize <= 0 || slots <= 0 || maxTotalTokens <= 0 || maxNewTokens <= 0) {
            throw new IllegalArgumentException("vocabulary, slots, max_total_tokens and max new tokens must be > 0");
        }
        if (eosTokenIds.stream().anyMatch(id -> id < 0)) {
            throw new IllegalArgumentException("end-of-sequence ids must be >= 0");
        }
    }

    /** One end-of-sequence id (-1: none), no BOS added, no generation defaults. */
    public DecoderInfo(int vocabularySize, int slots, int maxTotalTokens, long eosTokenId, String eosToken,
                       String bosToken, String chatTemplate, boolean encoderDecoder, int maxNewTokens) {
        this(vocabularySize, slots, maxTotalTokens, eosTokenId < 0 ? List.of() : List.of(eosTokenId), eosToken,
                bosToken, chatTemplate, encoderDecoder, maxNewTokens, BosPolicy.NONE, GenerationDefaults.NONE);
    }

    /** A decoder: the prompt and the generated tokens share one cache of max_total_tokens positions. */
    public DecoderInfo(int vocabularySize, int slots, int maxTotalTokens, long eosTokenId, String eosToken,
                       String bosToken, String chatTemplate) {
        this(vocabularySize, slots, maxTotalTokens, eosTokenId, eosToken, bosToken, chatTemplate, false,
                maxTotalTokens);
    }

    /** The first end-of-sequence id (config.json's first), or -1 when the model has none. */
    public long eosTokenId() {
        return eosTokenIds.isEmpty() ? -1 : eosTokenIds.get(0);
    }

    /** True when the token ends a sequence. */
    public boolean isEos(long token) {
        return eosTokenIds.contains(token);
    }
}
