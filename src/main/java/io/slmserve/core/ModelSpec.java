package io.slmserve.core;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;

/**
 * Everything a model folder's serving.properties says, validated.
 *
 * @param id             folder name, the id clients use in {@code model}
 * @param dir            the model folder
 * @param task           what it serves
 * @param batchSize      most rows in one forward call
 * @param maxBatchDelay  how long a worker waits to fill a batch once it holds one request
 * @param maxBatchTokens padded tokens (rows x longest row) one forward call may hold
 * @param jobQueueSize   requests that may wait; beyond it callers get 429
 * @param minWorkers     workers started at load
 * @param maxWorkers     workers the pool may grow to under load
 * @param maxInputTokens longest tokenized input accepted (with special tokens)
 * @param options        every {@code option.*} key, prefix removed, for family-specific settings
 * @param maxTotalTokens decoders: prompt plus generated tokens of one sequence ({@code max_total_tokens}), the
 *                       length of its KV-cache slot
 */
public record ModelSpec(
        String id,
        Path dir,
        ModelTask task,
        int batchSize,
        Duration maxBatchDelay,
        int maxBatchTokens,
        int jobQueueSize,
        int minWorkers,
        int maxWorkers,
        int maxInputTokens,
        Map<String, String> options,
        int maxTotalTokens) {

    public ModelSpec {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(dir, "dir");
        Objects.requireNonNull(task, "task");
        requirePositive(batchSize, "batch_size");
        requirePositive(maxBatchTokens, "max_batch_tokens");
        requirePositive(jobQueueSize, "job_queue_size");
        requirePositive(minWorkers, "minWorkers");
        requirePositive(maxInputTokens, "max_input_tokens");
        if (maxWorkers < minWorkers) {
            throw new IllegalArgumentException("maxWorkers (" + maxWorkers + ") < minWorkers (" + minWorkers + ")");
        }
        if (maxBatchDelay.isNegative()) {
            throw new IllegalArgumentException("max_batch_delay must be >= 0");
        }
        requirePositive(maxTotalTokens, "max_total_tokens");
        options = Map.copyOf(options);
    }

    /** A spec whose sequences are limited by max_input_tokens alone (encoders). */
    public ModelSpec(String id, Path dir, ModelTask task, int batchSize, Duration maxBatchDelay, int maxBatchTokens,
                     int jobQueueSize, int minWorkers, int maxWorkers, int maxInputTokens, Map<String, String> options) {
        this(id, dir, task, batchSize, maxBatchDelay, maxBatchTokens, jobQueueSize, minWorkers, maxWorkers,
                maxInputTokens, options, maxInputTokens);
    }

    public ModelFamily family() {
        return task.family();
    }

    public String option(String key, String fallback) {
        return options.getOrDefault(key, fallback);
    }

    private static void requirePositive(int value, String name) {
        if (value <= 0) {
            throw new IllegalArgumentException(name + " must be > 0, was " + value);
        }
    }
}
