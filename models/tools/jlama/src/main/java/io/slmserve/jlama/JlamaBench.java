package io.slmserve.jlama;

import com.github.tjake.jlama.model.AbstractModel;
import com.github.tjake.jlama.tensor.AbstractTensor;
import com.github.tjake.jlama.tensor.KvBufferCache;
import java.util.Optional;
import java.util.UUID;

/**
 * Decode timings of Jlama for bench/generation's peer rows: greedy sequences of a fixed length from one prompt,
 * back to back. Jlama batches nothing across sequences, and 0.8.4 is not safe for concurrent sessions on one
 * model (threads decoding at once fail its kernels' shape checks, "BAD M"), so STREAMS sequences run one after
 * another, as a server in front of it would have to: the aggregate is what 16 waiting clients would get.
 */
final class JlamaBench {

    private JlamaBench() {
    }

    static String run(AbstractModel model, int[] prompt, int tokens, double seconds, int streams, String weights) {
        sequence(model, prompt, tokens, new long[2]);  // warm-up: JIT, Jlama's pools, page-in of the weights
        long generated = 0;
        long decodeNanos = 0;
        long prefillNanos = 0;
        long sequences = 0;
        long[] times = new long[2];
        long start = System.nanoTime();
        long deadline = start + (long) (seconds * 1e9);
        do {
            for (int s = 0; s < streams; s++) {  // one round: every stream's sequence
                sequence(model, prompt, tokens, times);
                generated += tokens;
                prefillNanos += times[0];
                decodeNanos += times[1];
                sequences++;
            }
        } while (System.nanoTime() < deadline);
        double wall = (System.nanoTime() - start) / 1e9;
        return String.format(java.util.Locale.ROOT,
                "{\"engine\": \"jlama-0.8.4\", \"weights\": \"%s\", \"streams\": %d, \"sequences\": %d, "
                        + "\"tokens\": %d, \"wall_s\": %.3f, \"tokens_per_s\": %.2f, \"ms_per_token\": %.3f, "
                        + "\"decode_ms_per_step\": %.3f, \"prefill_ms\": %.3f, \"prompt_tokens\": %d}",
                weights, streams, sequences, generated, wall, generated / wall, wall * 1000.0 / generated,
                decodeNanos / 1e6 / (sequences * (tokens - 1)), prefillNanos / 1e6 / sequences, prompt.length);
    }

    /** One greedy sequence of `tokens` new tokens; times[0] = prefill ns (first token included), times[1] = rest. */
    private static void sequence(AbstractModel model, int[] prompt, int tokens, long[] times) {
        int vocab = model.getConfig().vocabularySize;
        long t0 = System.nanoTime();
        try (KvBufferCache cache = new KvBufferCache(model);
             KvBufferCache.KvBuffer kv = cache.getKvBuffer(UUID.randomUUID());
             AbstractTensor logits = model.makeDenseTensor(vocab)) {
            AbstractTensor last = model.batchForward(prompt, 0, kv);
            int next = model.sample(last.slice(last.shape().first() - 1), 0f, 0f, logits);
            last.close();
            long t1 = System.nanoTime();
            for (int pos = prompt.length; pos < prompt.length + tokens - 1; pos++) {
                AbstractTensor out = model.forward(next, pos, kv, Optional.empty());
                next = model.sample(out, 0f, 0f, logits);
                out.close();
                kv.incrementContextPosition();
            }
            times[0] = t1 - t0;
            times[1] = System.nanoTime() - t1;
        }
    }
}
