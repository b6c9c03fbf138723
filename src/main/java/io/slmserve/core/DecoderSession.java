package io.slmserve.core;

import java.util.List;

/**
 * One worker's handle on a decoder: owns a predictor and a KV cache of {@code slots} sequences, so it is
 * used by one thread at a time. Every native tensor a call makes is freed before the call returns; the
 * cache lives until {@link #close()}.
 *
 * <p>An encoder-decoder session keeps the same contract: a row with {@code start == 0} carries the source ids
 * (the session encodes them and feeds the decoder's start token), and a later row at {@code start = source
 * length + k} carries the k-th generated token, so the scheduler drives both families alike.
 */
public interface DecoderSession extends AutoCloseable {

    /**
     * Runs one forward call over the given rows, writing their tokens into the cache at their positions.
     * Prompts and one-token rows may come together: one-token rows are not padded to the prompts' width.
     * Rows listed in slot order let the graph read consecutive slots as a view of the cache.
     *
     * @param rows distinct slots; each row's tokens go to positions {@code start .. start + tokens - 1}
     * @return row-major logits, {@code rows.size() x vocabularySize} float32: for each row, the logits after its
     *     last token (the distribution of the next one). The array may be reused by a later call: read it
     *     before the next one.
     */
    float[] forward(List<DecoderRow> rows);

    /**
     * A plain causal pass over one sequence from position 0, without the cache (reference and perplexity
     * checks): row-major logits, {@code ids.length x vocabularySize}.
     */
    float[] logitsAll(long[] ids);

    /**
     * {@link #logitsAll(long[])} with a LoRA adapter applied (null: the base). A session without LoRA support
     * refuses an adapter.
     */
    default float[] logitsAll(long[] ids, LoraAdapter adapter) {
        if (adapter != null) {
            throw new UnsupportedOperationException("this model does not take LoRA adapters");
        }
        return logitsAll(ids);
    }

    /**
     * Copies whole cache slots, {@code from[i]} into {@code to[i]} (every cached position, and for an
     * encoder-decoder the source's cross-attention keys and values): beam search forks a beam this way. No slot
     * may appear in both arrays; a slot may be copied to several.
     */
    void copySlots(int[] from, int[] to);

    @Override
    void close();

    /**
     * One sequence's part of a forward call.
     *
     * @param slot   cache slot that holds the sequence
     * @param start  tokens the slot already holds (0 for a new sequence)
     * @param tokens the new tokens: a whole prompt (prefill) or the last sampled token (decode)
     * @param adapter the LoRA adapter this row runs with, or null for the base model. The row carries the adapter
     *                itself rather than an index: the session maps adapters to its weight stacks, so removing or
     *                replacing an adapter in the registry never changes what a running sequence computes.
     */
    record DecoderRow(int slot, int start, long[] tokens, LoraAdapter adapter) {

        public DecoderRow(int slot, int start, long[] tokens) {
            this(slot, start, tokens, null);
        }
    }
}
