package io.slmserve.generation;

import io.slmserve.core.Deadline;
import io.slmserve.core.GenerationParams;
import io.slmserve.core.LoraAdapter;
import io.slmserve.core.TokenConstraint;
import java.util.Objects;

/**
 * One sequence to generate.
 *
 * @param prompt   prompt token ids (at least one)
 * @param params   validated parameters with max_new_tokens and seed resolved
 * @param listener where tokens and the outcome go
 * @param deadline past it, a waiting sequence leaves the queue and a running one stops (both 504)
 * @param constraint the language the output must belong to (its mask applies to this sequence's rows only), or
 *                   null for none
 * @param adapter  the LoRA adapter every row of this sequence (and each of its beams) runs with, or null for the
 *                 base model
 */
public record GenerationRequest(long[] prompt, GenerationParams params, GenerationListener listener,
                                Deadline deadline, TokenConstraint constraint, LoraAdapter adapter) {

    public GenerationRequest(long[] prompt, GenerationParams params, GenerationListener listener,
                             Deadline deadline, TokenConstraint constraint) {
        this(prompt, params, listener, deadline, constraint, null);
    }

    public GenerationRequest(long[] prompt, GenerationParams params, GenerationListener listener) {
        this(prompt, params, listener, Deadline.NONE, null, null);
    }

    public GenerationRequest(long[] prompt, GenerationParams params, GenerationListener listener,
                             Deadline deadline) {
        this(prompt, params, listener, deadline, null, null);
    }

    public GenerationRequest {
        Objects.requireNonNull(prompt, "prompt");
        Objects.requireNonNull(params, "params");
        Objects.requireNonNull(listener, "listener");
        Objects.requireNonNull(deadline, "deadline");
        if (prompt.length == 0) {
            throw new IllegalArgumentException("empty prompt");
        }
        if (params.maxNewTokens() == null || params.seed() == null) {
            throw new IllegalArgumentException("max_new_tokens and seed must be resolved before scheduling");
        }
    }

    /** Cache positions the sequence may use: every prompt token and every generated token but the last. */
    int budget() {
        return prompt.length + params.maxNewTokens();
    }
}
