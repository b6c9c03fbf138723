package io.slmserve.inference;

import io.slmserve.core.FinishReason;
import io.slmserve.core.GeneratedToken;
import java.util.List;

/**
 * A finished generation request.
 *
 * @param model        the model that answered
 * @param prompt       the prompt text the model saw (the rendered chat template for chat requests)
 * @param promptTokens prompt length in tokens (counted once, whatever n)
 * @param choices      one per requested choice, by index
 */
public record Completion(String model, String prompt, int promptTokens, List<Choice> choices) {

    public int generatedTokens() {
        return choices.stream().mapToInt(Choice::generatedTokens).sum();
    }

    /**
     * One generated sequence.
     *
     * @param tokens every generated token with its released text; their texts concatenate to {@code text}
     */
    public record Choice(int index, String text, FinishReason finishReason, int generatedTokens, long seed,
                         List<GeneratedToken> tokens) {
    }
}
