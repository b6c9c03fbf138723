package io.slmserve.engine;

import io.slmserve.core.CausalLmBackend;
import io.slmserve.core.DecoderSession;
import io.slmserve.core.DecoderSession.DecoderRow;
import io.slmserve.core.ModelLoadException;
import java.util.List;

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
        Throwable[] failure = new Throwable[1];
        Thread thread = new Thread(() -> {
            try {
                warmUp(backend, prompt, vocab);
            } catch (Throwable e) {
                failure[0] = e;
            }
        }, "slm-warm-up");
        thread.start();
        try {
            thread.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ModelLoadException("interrupted during the warm-up", e);
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
