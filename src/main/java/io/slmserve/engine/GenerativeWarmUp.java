package io.slmserve.engine;

import io.slmserve.core.CausalLmBackend;
import io.slmserve.core.DecoderSession;
import io.slmserve.core.DecoderSession.DecoderRow;
import io.slmserve.core.ModelLoadException;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * The warm-up both generative loaders run before a model is READY: a prefill (for an encoder-decoder, the
 * encode and start step) and one decode step in the last slot of a real session, checking the logits width
 * against config.json. Decoders and encoder-decoders share it because both speak {@link DecoderSession} rows.
 */
final class GenerativeWarmUp {

    private GenerativeWarmUp() {
    }

    /**
     * Runs on a short-lived thread of its own: a session sets libtorch's intra-op threads on the thread that
     * opens it, and OpenMP keeps a pool of workers for each such thread while it lives. An idle pool left on
     * the loader thread counts against the cores, and libgomp then all but stops spinning at the barriers of
     * every team, the decode worker's included: its 16-row steps of GPT-2 small ran about 30% slower with two
     * intra-op threads until the warm-up moved here.
     */
    static void run(CausalLmBackend backend, long[] prompt, int vocab) throws ModelLoadException {
        onOwnThread("slm-warm-up", () -> {
            warmUp(backend, prompt, vocab);
            return null;
        });
    }

    /** Work that may run multi-threaded libtorch ops during a load, on a short-lived thread (see {@link #run}). */
    static <T> T onOwnThread(String name, Callable<T> work) throws ModelLoadException {
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
            throw new ModelLoadException(name + ": " + failure[0].getMessage(), failure[0]);
        }
        @SuppressWarnings("unchecked")
        T value = (T) result[0];
        return value;
    }

    private static void warmUp(CausalLmBackend backend, long[] prompt, int vocab) throws ModelLoadException {
        int slot = backend.info().slots() - 1;
        try (DecoderSession session = backend.openSession()) {
            float[] logits = session.forward(List.of(new DecoderRow(slot, 0, prompt)));
            if (logits.length != vocab) {
                throw new ModelLoadException("model.pt returns " + logits.length + " logits but config.json says "
                        + "vocab_size " + vocab);
            }
            session.forward(List.of(new DecoderRow(slot, prompt.length, new long[] {prompt[0]})));
        }
    }
}
