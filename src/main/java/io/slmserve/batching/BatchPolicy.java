package io.slmserve.batching;

import java.time.Duration;

/**
 * When a batch is complete.
 *
 * @param maxRows        rows in one forward call
 * @param maxPaddedTokens rows x longest row in one forward call (bounds activation memory)
 * @param maxDelay       how long to wait for more requests once the first one is held
 */
public record BatchPolicy(int maxRows, int maxPaddedTokens, Duration maxDelay) {

    public BatchPolicy {
        if (maxRows <= 0 || maxPaddedTokens <= 0 || maxDelay.isNegative()) {
            throw new IllegalArgumentException("invalid batch policy " + maxRows + "/" + maxPaddedTokens + "/" + maxDelay);
        }
    }
}
