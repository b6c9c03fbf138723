package io.slmserve.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.slmserve.core.DecoderSession;
import io.slmserve.core.DecoderSession.DecoderRow;
import io.slmserve.core.GeneratedToken;
import io.slmserve.core.GenerationParams;
import io.slmserve.core.LoadedModel;
import io.slmserve.core.ModelSpec;
import io.slmserve.core.ModelTask;
import io.slmserve.core.ServingException;
import io.slmserve.core.ServingMetrics;
import io.slmserve.generation.GenerationListener;
import io.slmserve.generation.GenerationPool;
import io.slmserve.generation.GenerationRequest;
import io.slmserve.generation.GenerationResult;
import io.slmserve.generation.SchedulerLimits;
import io.slmserve.testing.GptFolder;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.IntSupplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Prefix caching through the real archive: a prompt prefilled from position > 0 onto a slot holding its prefix
 * gives the logits of a whole recompute, and the scheduler's outputs (greedy and seeded sampling, requests
 * arriving together under continuous batching) are identical with and without the cache.
 */
class PrefixCacheEngineTest {

    private static final String SYSTEM = "You are a careful assistant. Answer from the scripture below and quote "
            + "it. In the beginning God created the heaven and the earth. And the earth was without form, and void;"
            + " and darkness was upon the face of the deep.";
    private static LoadedModel model;

    @BeforeAll
    static void load() throws Exception {
        ModelSpec spec = new ModelSpec("gpt", GptFolder.dir(), ModelTask.TEXT_GENERATION, 4, Duration.ZERO, 4096,
                8, 1, 1, 128, Map.of(), 256);
        model = new TorchDecoderLoader(new HalfPrecisionEncoderTest.EngineDefaults()).load(spec);
    }

    @AfterAll
    static void close() throws Exception {
        model.close();
    }

    @Test
    void aRemainderPrefilledAfterACachedPrefixGivesTheRecomputedLogits() {
        long[] prompt = ids(SYSTEM + " Who created the earth?");
        int vocab = model.decoder().info().vocabularySize();
        try (DecoderSession session = model.decoder().openSession()) {
            int split = prompt.length - 7;
            session.forward(List.of(new DecoderRow(1, 0, prompt)));
            // overwrite the tail with other tokens, as a different continuation of the same prefix would
            session.forward(List.of(new DecoderRow(1, split, ids(" the the the the the the the the the"))));
            float[] cached = session.forward(List.of(new DecoderRow(1, split,
                    Arrays.copyOfRange(prompt, split, prompt.length))));
            float[] all = session.logitsAll(prompt);
            float[] last = Arrays.copyOfRange(all, (prompt.length - 1) * vocab, prompt.length * vocab);
            for (int v = 0; v < vocab; v++) {
                assertEquals(last[v], cached[v], 1e-3, "logit " + v);
            }
        }
    }

    /**
     * A remainder row that starts late (a prefix-cache hit deep into the cache) in the same call as a long fresh
     * prompt: padding it to the prompt's width would run past the cache's 256 positions, which used to fail
     * the step (a 500); its pads now stay past its end inside the cache, and both rows get their recomputed logits.
     */
    @Test
    void aLateRemainderBesideALongPromptStaysInsideTheCache() {
        // built from pieces: the tokenizer of this spec takes at most 128 tokens at a time
        long[] system = ids(SYSTEM);
        long[] deep = concat(system, system, system, system, ids(" Who created the earth?"));
        long[] fresh = Arrays.copyOf(concat(system, system, ids(" And the earth?")), 90);
        int vocab = model.decoder().info().vocabularySize();
        int split = deep.length - 7;
        assertTrue(split + fresh.length > 256, "the case needs padding past the cache: " + split);
        try (DecoderSession session = model.decoder().openSession()) {
            session.forward(List.of(new DecoderRow(1, 0, Arrays.copyOf(deep, split))));
            float[] both = session.forward(List.of(
                    new DecoderRow(1, split, Arrays.copyOfRange(deep, split, deep.length)),
                    new DecoderRow(2, 0, fresh))).clone();
            long[][] sequences = {deep, fresh};
            for (int r = 0; r < 2; r++) {
                float[] all = session.logitsAll(sequences[r]);
                int at = (sequences[r].length - 1) * vocab;
                for (int v = 0; v < vocab; v++) {
                    assertEquals(all[at + v], both[r * vocab + v], 1e-3, "row " + r + " logit " + v);
                }
            }
        }
    }

    @Test
    void outputsAreIdenticalWithAndWithoutTheCache() throws Exception {
        List<long[]> prompts = new ArrayList<>();
        for (String q : List.of(" Who created the earth?", " What was upon the deep?", " Was the earth void?",
                " Quote the first verse.", " What was without form?", " Who created the earth?")) {
            prompts.add(ids(SYSTEM + q));
        }
        AtomicLong hits = new AtomicLong();
        List<List<Long>> off = generate(prompts, 0, new AtomicLong());
        List<List<Long>> on = generate(prompts, 16, hits);
        assertEquals(off, on);
        int shared = ids(SYSTEM).length;
        assertTrue(hits.get() >= 2L * (shared - 2), "cache hits: " + hits.get() + " tokens, prefix " + shared);
    }

    @Test
    void choicesSharingAPromptForkOnePrefillAndSampleAsIfEachHadPrefilled() throws Exception {
        long[] prompt = ids(SYSTEM + " Who created the earth?");
        AtomicLong hits = new AtomicLong();
        List<List<Long>> off = choices(prompt, 0, new AtomicLong());
        List<List<Long>> on = choices(prompt, 16, hits);
        assertEquals(off, on);
        assertTrue(new java.util.HashSet<>(on).size() > 1, "the seeds give different samples: " + on);
        assertEquals(3L * (prompt.length - 1), hits.get(), "three of four choices fork the first one's prefill");
    }

    @Test
    void aBeamSearchAfterACachedPrefixFindsTheSameBeams() throws Exception {
        long[] first = ids(SYSTEM + " Who created the earth?");
        long[] second = ids(SYSTEM + " What was upon the deep?");
        AtomicLong hits = new AtomicLong();
        List<List<Long>> off = beams(first, second, 0, new AtomicLong());
        List<List<Long>> on = beams(first, second, 16, hits);
        assertEquals(off, on);
        int shared = PrefixCacheEngineTest.sharedPrefix(first, second);
        // the second beam search reuses the first one's prompt; the last request repeats the second prompt whole
        assertEquals((long) shared + second.length - 1, hits.get(), "prefix " + shared);
    }

    /** Two beam searches (3 beams, one after the other) over prompts sharing a prefix, then a greedy repeat. */
    private List<List<Long>> beams(long[] first, long[] second, int minTokens, AtomicLong hits) throws Exception {
        List<List<Long>> out = new ArrayList<>();
        try (GenerationPool pool = new GenerationPool("gpt", model.decoder().info(), model.tokenizer(),
                new SchedulerLimits(4, 100_000, 64, 1, 1, minTokens), model.decoder()::openSession,
                counting(hits))) {
            for (long[] p : List.of(first, second)) {
                CompletableFuture<List<Long>> done = new CompletableFuture<>();
                pool.submit(new GenerationRequest(p, GenerationParams.builder().maxNewTokens(10).seed(42L).numBeams(3).build(), collect(done)));
                out.add(done.get(60, TimeUnit.SECONDS));
            }
            out.add(run(pool, second, false).get(60, TimeUnit.SECONDS));
        }
        return out;
    }

    private static int sharedPrefix(long[] a, long[] b) {
        int mismatch = Arrays.mismatch(a, b);
        return mismatch < 0 ? Math.min(a.length, b.length) : mismatch;
    }

    /** n = 4 seeded sampled choices of one prompt, submitted together as one request's choices are. */
    private List<List<Long>> choices(long[] prompt, int minTokens, AtomicLong hits) throws Exception {
        List<CompletableFuture<List<Long>>> pending = new ArrayList<>();
        List<GenerationRequest> requests = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            CompletableFuture<List<Long>> done = new CompletableFuture<>();
            pending.add(done);
            GenerationParams params = GenerationParams.builder().maxNewTokens(12).seed(42L + i).sample(true)
                    .temperature(0.9).ignoreEos(true).build();
            requests.add(new GenerationRequest(prompt, params, collect(done)));
        }
        try (GenerationPool pool = new GenerationPool("gpt", model.decoder().info(), model.tokenizer(),
                new SchedulerLimits(4, 100_000, 64, 1, 1, minTokens), model.decoder()::openSession,
                counting(hits))) {
            pool.submit(requests);
            List<List<Long>> out = new ArrayList<>();
            for (CompletableFuture<List<Long>> f : pending) {
                out.add(f.get(60, TimeUnit.SECONDS));
            }
            return out;
        }
    }

    /** A warm-up sequence, then every prompt twice at once (greedy and sampled), on a pool of 4 slots. */
    private List<List<Long>> generate(List<long[]> prompts, int minTokens, AtomicLong hits) throws Exception {
        List<List<Long>> out = new ArrayList<>();
        try (GenerationPool pool = new GenerationPool("gpt", model.decoder().info(), model.tokenizer(),
                new SchedulerLimits(4, 100_000, 64, 1, 1, minTokens), model.decoder()::openSession,
                counting(hits))) {
            out.add(run(pool, prompts.get(0), false).get(60, TimeUnit.SECONDS));
            List<CompletableFuture<List<Long>>> pending = new ArrayList<>();
            for (long[] p : prompts) {
                pending.add(run(pool, p, false));
                pending.add(run(pool, p, true));
            }
            for (CompletableFuture<List<Long>> f : pending) {
                out.add(f.get(60, TimeUnit.SECONDS));
            }
        }
        return out;
    }

    private static CompletableFuture<List<Long>> run(GenerationPool pool, long[] prompt, boolean sample) {
        GenerationParams params = GenerationParams.builder().maxNewTokens(12).seed(42L).sample(sample)
                .temperature(sample ? 0.9 : 1.0).ignoreEos(true).build();
        CompletableFuture<List<Long>> done = new CompletableFuture<>();
        pool.submit(new GenerationRequest(prompt, params, collect(done)));
        return done;
    }

    private static GenerationListener collect(CompletableFuture<List<Long>> done) {
        List<Long> ids = new CopyOnWriteArrayList<>();
        return new GenerationListener() {
            @Override
            public void onToken(GeneratedToken token) {
                ids.add(token.id());
            }

            @Override
            public void onFinish(GenerationResult result) {
                done.complete(List.copyOf(ids));
            }

            @Override
            public void onError(ServingException error) {
                done.completeExceptionally(error);
            }
        };
    }

    private static ServingMetrics counting(AtomicLong hits) {
        return new ServingMetrics() {
            @Override
            public void queueDepthGauge(String model, IntSupplier depth) {
            }

            @Override
            public void queueWait(String model, long nanos) {
            }

            @Override
            public void batch(String model, int rows, int paddedTokens) {
            }

            @Override
            public void inputTokens(String model, String endpoint, int tokens) {
            }

            @Override
            public void request(String endpoint, String model, int status, long nanos) {
            }

            @Override
            public void prefixCache(String model, int promptTokens, int hitTokens) {
                hits.addAndGet(hitTokens);
            }
        };
    }

    private static long[] concat(long[]... parts) {
        return Arrays.stream(parts).flatMapToLong(Arrays::stream).toArray();
    }

    private static long[] ids(String text) {
        return model.tokenizer().encode(text, false).ids();
    }
}
