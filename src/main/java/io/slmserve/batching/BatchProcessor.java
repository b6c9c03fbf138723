package io.slmserve.batching;

import java.util.List;

/**
 * Runs one batch. Each worker creates its own processor on its own thread, so a processor may hold
 * thread-bound native state (a DJL predictor, libtorch thread settings) and needs no locking.
 */
public interface BatchProcessor<I, O> extends AutoCloseable {

    /** Returns one output per input, in order. Throwing fails every request of the batch. */
    List<O> process(List<I> inputs) throws Exception;

    /**
     * Which idle worker should take the next lone request: among idle workers the highest takes over the wait,
     * ties go to the one that finished last. Called on the worker's thread between batches.
     */
    default int idlePriority() {
        return 0;
    }

    @Override
    void close();
}
