package io.slmserve.inference;

import io.slmserve.core.FinishReason;
import io.slmserve.core.GeneratedToken;
import io.slmserve.core.ServingException;

/** What a streaming caller receives: tokens as they come, each choice's end, then Done or Failed, once. */
public sealed interface GenerationEvent {

    /** One token of choice {@code index}. */
    record Token(int index, GeneratedToken token) implements GenerationEvent {
    }

    /** Choice {@code index} ended; other choices may still run. */
    record ChoiceEnd(int index, FinishReason reason, int generatedTokens) implements GenerationEvent {
    }

    /** Every choice ended; the last event. */
    record Done(Completion completion) implements GenerationEvent {
    }

    /** The request failed after it was accepted; the last event. */
    record Failed(ServingException error) implements GenerationEvent {
    }
}
