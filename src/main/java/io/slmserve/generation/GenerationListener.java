package io.slmserve.generation;

import io.slmserve.core.GeneratedToken;
import io.slmserve.core.ServingException;

/**
 * Receives one sequence's tokens, on the worker thread that generates them. After any number of
 * {@link #onToken} calls, exactly one of {@link #onFinish}, {@link #onError} or {@link #onCancelled} follows.
 * Implementations must be quick and must not block: they run between forward steps.
 */
public interface GenerationListener {

    void onToken(GeneratedToken token);

    void onFinish(GenerationResult result);

    void onError(ServingException error);

    /** The caller cancelled (client gone); its slot is already free. */
    default void onCancelled() {
    }
}
