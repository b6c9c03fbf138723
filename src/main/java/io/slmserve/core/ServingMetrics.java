package io.slmserve.core;

import java.util.function.IntSupplier;

/**
 * What the serving path reports; implemented with Micrometer by the observability package.
 * Kept here so that batching and api record without depending on a metrics library.
 */
public interface ServingMetrics {

    void queueDepthGauge(String model, IntSupplier depth);

    void queueWait(String model, long nanos);

    void batch(String model, int rows, int paddedTokens);

    void inputTokens(String model, String endpoint, int tokens);

    void request(String endpoint, String model, int status, long nanos);

    /** Generation: sequences holding a cache slot, and sequences waiting for one. */
    default void sequenceGauges(String model, IntSupplier running, IntSupplier waiting) {
    }

    /** Generation: from admission to the first generated token (prefill included). */
    default void timeToFirstToken(String model, long nanos) {
    }

    /** Generation: between two consecutive tokens of one sequence. */
    default void interTokenLatency(String model, long nanos) {
    }

    /** Generation: tokens one finished sequence produced. */
    default void generatedTokens(String model, int tokens) {
    }

    /** Generation: rows of one decoder forward call; phase prefill, decode or mixed (prompts beside running rows). */
    default void decoderStep(String model, int rows, String phase) {
    }

    /** Structured output: a constraint compiled on a cache miss (kind: JSON_SCHEMA, REGEX, ...). */
    default void constraintCompiled(String model, String kind, long nanos) {
    }

    /** Structured output: a request whose constraint was already compiled. */
    default void constraintCacheHit(String model, String kind) {
    }

    /**
     * Generation with prefix caching: one admitted sequence's prompt length and how many of its tokens' keys
     * and values it found cached (0 on a miss).
     */
    default void prefixCache(String model, int promptTokens, int hitTokens) {
    }

    /** A no-op, for unit tests of queue and scheduler logic. */
    ServingMetrics NONE = new ServingMetrics() {
        @Override
        public void queueDepthGauge(String model, IntSupplier depth) {
        }

        @Override
        public void queueWait(String model, long nanos) {
        }

        @Override
        public void batch(String model, int rows, int paddedTokens) {
        }

        @Override
        public void inputTokens(String model, String endpoint, int tokens) {
        }

        @Override
        public void request(String endpoint, String model, int status, long nanos) {
        }
    };
}
