package io.slmserve.generation;

import io.slmserve.core.FinishReason;

/**
 * How a sequence ended.
 *
 * @param text            the generated text, stop string excluded: exactly the concatenation of the tokens'
 *                        streamed texts
 * @param reason          why it stopped
 * @param promptTokens    prompt length
 * @param generatedTokens tokens generated (a stop token included)
 * @param seed            the seed used (reported so a sampled output can be reproduced)
 */
public record GenerationResult(String text, FinishReason reason, int promptTokens, int generatedTokens, long seed) {
}
