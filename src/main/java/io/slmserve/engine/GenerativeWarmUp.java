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
     * Runs on a short-lived thread of its own ({@link ShortLivedThread}): a session sets libtorch's intra-op
     * threads on the thread that opens it, and an OpenMP pool left on the loader thread would slow every team.
     */
    static void run(CausalLmBackend backend, long[] prompt, int vocab) throws ModelLoadException {
        ShortLivedThread.call("slm-warm-up", () -> {
            warmUp(backend, prompt, vocab);
            return null;
        });
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
