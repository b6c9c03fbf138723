package io.slmserve.generation;

/** The caller's grip on a submitted sequence. */
public interface GenerationHandle {

    /**
     * Stops the sequence: a waiting one leaves the queue, a running one frees its slot before the next step.
     * Idempotent; has no effect once the sequence finished.
     */
    void cancel();
}
