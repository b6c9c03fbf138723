package io.slmserve.jlama;

import com.github.tjake.jlama.model.AbstractModel;
import com.github.tjake.jlama.tensor.AbstractTensor;
import com.github.tjake.jlama.tensor.KvBufferCache;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Decode timings of Jlama for bench/generation's peer rows: greedy sequences of a fixed length from one prompt,
 * back to back, on STREAMS threads at once (each its own KV buffer: Jlama batches nothing across sequences).
 */
final class JlamaBench {

    private JlamaBench() {
    }

    static String run(AbstractModel model, int[] prompt, int tokens, double seconds, int streams, String weights)
            throws InterruptedException {
        sequence(model, prompt, tokens, new long[2]);  // warm-up: JIT, Jlama's pools, page-in of the weights
        AtomicLong generated = new AtomicLong();
        AtomicLong decodeNanos = new AtomicLong();
        AtomicLong decodeSteps = new AtomicLong();
        AtomicLong prefillNanos = new AtomicLong();
        AtomicLong sequences = new AtomicLong();
        long deadline = System.nanoTime() + (long) (seconds * 1e9);
        long start = System.nanoTime();
        List<Thread> threads = new ArrayList<>();
        for (int s = 0; s < streams; s++) {
            Thread t = new Thread(() -> {
                long[] times = new long[2];
                do {
                    sequence(model, prompt, tokens, times);
                    generated.addAndGet(tokens);
                    prefillNanos.addAndGet(times[0]);
                    decodeNanos.addAndGet(times[1]);
                    decodeSteps.addAndGet(tokens - 1);
                    sequences.incrementAndGet();
                } while (System.nanoTime() < deadline);
            });
            t.start();
            threads.add(t);
        }
        for (Thread t : threads) {
            t.join();
        }
        double wall = (System.nanoTime() - start) / 1e9;
        return String.format(java.util.Locale.ROOT,
                "{\"engine\": \"jlama-0.8.4\", \"weights\": \"%s\", \"streams\": %d, \"sequences\": %d, "
                        + "\"tokens\": %d, \"wall_s\": %.3f, \"tokens_per_s\": %.2f, \"ms_per_token\": %.3f, "
                        + "\"decode_ms_per_step\": %.3f, \"prefill_ms\": %.3f, \"prompt_tokens\": %d}",
                weights, streams, sequences.get(), generated.get(), wall, generated.get() / wall,
                wall * 1000.0 * streams / generated.get(), decodeNanos.get() / 1e6 / decodeSteps.get(),
                prefillNanos.get() / 1e6 / sequences.get(), prompt.length);
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
