package io.slmserve.generation;

/**
 * The scheduler's budgets.
 *
 * @param slots               sequences one worker runs at once (its KV-cache slots, {@code batch_size})
 * @param maxBatchTotalTokens prompt plus max_new_tokens summed over one worker's running sequences
 *                            (TGI's max_batch_total_tokens); a lone sequence is always admitted
 * @param queueSize           sequences that may wait for a slot; beyond it callers get 429
 * @param workers             worker threads, each with its own session and cache
 * @param retryAfterSeconds   Retry-After on 429
 * @param prefixCacheMinTokens shortest cached prompt prefix an idle slot lends a new sequence; 0 turns prefix
 *                            caching off
 */
public record SchedulerLimits(int slots, int maxBatchTotalTokens, int queueSize, int workers, int retryAfterSeconds,
                              int prefixCacheMinTokens) {

    public SchedulerLimits {
        if (slots < 1 || maxBatchTotalTokens < 1 || queueSize < 1 || workers < 1 || prefixCacheMinTokens < 0) {
            throw new IllegalArgumentException("scheduler limits must be positive");
        }
    }

    /** Without prefix caching. */
    public SchedulerLimits(int slots, int maxBatchTotalTokens, int queueSize, int workers, int retryAfterSeconds) {
        this(slots, maxBatchTotalTokens, queueSize, workers, retryAfterSeconds, 0);
    }
}
