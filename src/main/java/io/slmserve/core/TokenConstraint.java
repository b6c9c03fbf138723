package io.slmserve.core;

/**
 * A compiled output constraint for one tokenizer: an automaton whose states say which token ids may come next.
 * The scheduler keeps one int state per sequence (per beam), masks the row's logits before sampling and advances
 * the state with the chosen token. Implementations are immutable from the caller's view and thread-safe (allowed
 * sets may be computed lazily and cached inside).
 */
public interface TokenConstraint {

    /** The state before any token is generated. */
    int initialState();

    /**
     * Sets {@code logits[offset + v]} to -infinity for every token v in [0, vocab) that may not follow
     * {@code state}. The end-of-sequence token stays allowed only in accepting states.
     */
    void mask(int state, float[] logits, int offset, int vocab);

    /** The state after {@code token}; the end-of-sequence token (or a token the mask forbade) gives a final state. */
    int advance(int state, long token);
}
