package io.slmserve.engine;

import io.slmserve.core.ModelLoadException;
import java.util.concurrent.Callable;

/**
 * Runs a load's libtorch work (reading and casting the archive, packing its weights, the warm-up) on a thread
 * that ends with it, never on the long-lived loader thread.
 *
 * <p>Why: libgomp keeps a pool of OpenMP workers for every thread that ran a parallel region wider than one
 * thread, for as long as that thread lives. Once the pools hold more threads than there are cores, libgomp all
 * but stops spinning at the barriers of every team, the decode worker's included, and each parallel region then
 * sleeps and wakes its threads. A cast of an archive stored in fp16 to float32 is such a region: run on the
 * loader thread with two intra-op threads, it left a pool there, and a SmolLM2-135M decode worker then ran its
 * FBGEMM products on 1.1-1.5 cores instead of 2 (bench/generation/README.md, "The cause: an
 * OpenMP pool on the loader thread"). A decoder's 16-row GPT-2 steps lost about 30% the same way before the
 * warm-up moved off the loader thread.
 */
final class ShortLivedThread {

    private ShortLivedThread() {
    }

    /**
     * Runs {@code work} on a new thread named {@code name} and waits for it.
     *
     * @return what {@code work} returned
     * @throws ModelLoadException what {@code work} threw, as is when it is a {@link ModelLoadException}, a runtime
     *                            exception or an error; other checked exceptions wrapped, with their class and message
     */
    static <T> T call(String name, Callable<T> work) throws ModelLoadException {
        Object[] result = new Object[1];
        Throwable[] failure = new Throwable[1];
        Thread thread = new Thread(() -> {
            try {
                result[0] = work.call();
            } catch (Throwable e) {
                failure[0] = e;
            }
        }, name);
        thread.start();
        try {
            thread.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ModelLoadException("interrupted during " + name, e);
        }
        if (failure[0] instanceof ModelLoadException e) {
            throw e;
        }
        if (failure[0] instanceof RuntimeException e) {
            throw e;
        }
        if (failure[0] instanceof Error e) {
            throw e;
        }
        if (failure[0] != null) {
            throw new ModelLoadException(failure[0].getClass().getSimpleName() + ": " + failure[0].getMessage(),
                    failure[0]);
        }
        @SuppressWarnings("unchecked")
        T value = (T) result[0];
        return value;
    }
}
