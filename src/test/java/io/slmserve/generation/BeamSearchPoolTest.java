package io.slmserve.generation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.slmserve.core.ErrorKind;
import io.slmserve.core.FinishReason;
import io.slmserve.core.GenerationParams;
import io.slmserve.core.ServingException;
import io.slmserve.core.ServingMetrics;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Beam search in the scheduler against a fake decoder whose logits depend on what each slot holds, so a wrong
 * fork (slot not copied, copied from the wrong beam) changes the result: Hugging Face's scoring on a case where
 * greedy loses, and concurrent beam searches equal a slot-free reference search.
 */
class BeamSearchPoolTest {

    private GenerationPool pool;
    private FakeDecoder fake;

    @AfterEach
    void close() {
        if (pool != null) {
            pool.close();
        }
    }

    private void start(int slots, Function<long[], float[]> model) {
        fake = new FakeDecoder(slots, 512, model);
        pool = new GenerationPool("fake", FakeDecoder.info(slots, 512), new FakeDecoder.Bytes(),
                new SchedulerLimits(slots, 100_000, 16, 1, 1), () -> fake, ServingMetrics.NONE);
    }

    private FakeDecoder.Recorder run(long[] prompt, GenerationParams params) {
        FakeDecoder.Recorder recorder = new FakeDecoder.Recorder();
        pool.submit(new GenerationRequest(prompt, params, recorder));
        return recorder;
    }

    private static GenerationParams beams(int width, int maxNew) {
        return GenerationParams.builder().maxNewTokens(maxNew).seed(0L).logprobs(true).numBeams(width).build();
    }

    /** Log-probabilities as given for the listed tokens; the rest of the mass spread evenly. */
    private static float[] dist(Map<Integer, Double> probs) {
        double rest = 1 - probs.values().stream().mapToDouble(Double::doubleValue).sum();
        float[] logits = new float[FakeDecoder.VOCAB];
        Arrays.fill(logits, (float) Math.log(rest / (FakeDecoder.VOCAB - probs.size())));
        probs.forEach((id, p) -> logits[id] = (float) Math.log(p));
        return logits;
    }

    /** After the prompt: 'a' 0.5, 'b' 0.4. After 'a': 'c' 0.3 forever. After 'b': end of sequence 0.9. */
    private static final Function<long[], float[]> GREEDY_LOSES = h -> {
        if (h.length == 1) {
            return dist(Map.of((int) 'a', 0.5, (int) 'b', 0.4));
        }
        return h[1] == 'b' ? dist(Map.of((int) FakeDecoder.EOS, 0.9)) : dist(Map.of((int) 'c', 0.3));
    };

    @Test
    void beamSearchFindsTheBetterSequenceGreedyMisses() throws Exception {
        start(4, GREEDY_LOSES);
        GenerationResult greedy = await(run(new long[] {0},
                GenerationParams.builder().maxNewTokens(5).seed(0L).build()));
        assertEquals("acccc", greedy.text());
        FakeDecoder.Recorder r = run(new long[] {0}, beams(2, 5));
        GenerationResult result = await(r);
        assertEquals("b", result.text());
        assertEquals(FinishReason.EOS_TOKEN, result.reason());
        assertEquals(List.of((long) 'b', FakeDecoder.EOS), r.ids());
        assertEquals(Math.log(0.4), r.tokens.get(0).logprob(), 1e-5);
        assertEquals(Math.log(0.9), r.tokens.get(1).logprob(), 1e-5);
        assertEquals(result.text(), r.streamed());
        assertFalse(fake.copies.isEmpty(), "the first step forked the prompt's slot");
        waitIdle();
    }

    /** Spread distributions from a hash of the whole history, the end token likelier as it grows. */
    private static final Function<long[], float[]> HASHED = h -> {
        float[] logits = new float[FakeDecoder.VOCAB];
        long seed = 17;
        for (long t : h) {
            seed = seed * 1_000_003 + t;
        }
        for (int v = 0; v < logits.length; v++) {
            long x = (seed + v) * 0x9E3779B97F4A7C15L;
            logits[v] = (float) ((x >>> 40) % 1000) / 200f;
        }
        logits[(int) FakeDecoder.EOS] = h.length * 0.6f;
        return logits;
    };

    @Test
    void concurrentBeamSearchesEqualASlotFreeReference() throws Exception {
        start(11, HASHED);
        fake.delayMillis = 1;
        List<long[]> prompts = List.of(new long[] {1, 2}, new long[] {7}, new long[] {3, 3, 3});
        int[] widths = {3, 4, 2};
        double[] penalties = {1.0, 0.5, 2.0};
        boolean[] early = {false, true, false};
        List<FakeDecoder.Recorder> recorders = new ArrayList<>();
        for (int i = 0; i < prompts.size(); i++) {
            recorders.add(run(prompts.get(i), GenerationParams.builder().maxNewTokens(9).seed(0L).logprobs(true)
                    .numBeams(widths[i]).lengthPenalty(penalties[i]).earlyStopping(early[i]).build()));
        }
        FakeDecoder.Recorder greedy = run(new long[] {5}, GenerationParams.builder().maxNewTokens(9).seed(0L).build());
        for (int i = 0; i < prompts.size(); i++) {
            await(recorders.get(i));
            List<Long> expected = reference(prompts.get(i), widths[i], 9, penalties[i], early[i]);
            assertEquals(expected, recorders.get(i).ids(), "beam search " + i);
        }
        await(greedy);
        assertTrue(fake.callRows.stream().anyMatch(rows -> rows > 4), "beams of several requests shared a step");
        waitIdle();
    }

    @Test
    void moreBeamsThanSlotsIsRefused() {
        start(2, HASHED);
        ServingException e = assertThrows(ServingException.class, () -> run(new long[] {1}, beams(3, 4)));
        assertEquals(ErrorKind.INVALID_REQUEST, e.kind());
    }

    private void waitIdle() throws InterruptedException {
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (pool.running() > 0 && System.nanoTime() < until) {
            Thread.sleep(1);
        }
        assertEquals(0, pool.running(), "every beam slot was released");
    }

    private static GenerationResult await(FakeDecoder.Recorder r) throws Exception {
        return r.done.get(10, TimeUnit.SECONDS);
    }

    /** Hugging Face's beam search written plainly over whole histories, without slots. */
    static List<Long> reference(long[] prompt, int k, int maxNew, double lengthPenalty, boolean earlyStopping) {
        record Hyp(List<Long> tokens, double score) {
        }
        record Cand(double score, int beam, int token, double logprob) {
        }
        List<Hyp> live = List.of(new Hyp(List.of(), 0));
        List<Hyp> done = new ArrayList<>();
        boolean finished = false;
        for (int step = 1; step <= maxNew && !finished; step++) {
            List<Cand> cands = new ArrayList<>();
            for (int b = 0; b < live.size(); b++) {
                long[] history = new long[prompt.length + live.get(b).tokens.size()];
                System.arraycopy(prompt, 0, history, 0, prompt.length);
                for (int t = 0; t < live.get(b).tokens.size(); t++) {
                    history[prompt.length + t] = live.get(b).tokens.get(t);
                }
                float[] logits = HASHED.apply(history);
                double lse = TokenScores.logSumExp(logits, 0, logits.length);
                for (int v = 0; v < logits.length; v++) {
                    cands.add(new Cand(live.get(b).score + logits[v] - lse, b, v, logits[v] - lse));
                }
            }
            cands.sort(Comparator.comparingDouble(Cand::score).reversed());
            List<Hyp> next = new ArrayList<>();
            for (int rank = 0; rank < 2 * k && next.size() < k; rank++) {
                Cand c = cands.get(rank);
                List<Long> tokens = new ArrayList<>(live.get(c.beam).tokens);
                tokens.add((long) c.token);
                if (c.token == FakeDecoder.EOS) {
                    if (rank < k) {
                        done.add(new Hyp(tokens, c.score / Math.pow(step, lengthPenalty)));
                    }
                } else {
                    next.add(new Hyp(tokens, c.score));
                }
            }
            done.sort(Comparator.comparingDouble(Hyp::score).reversed());
            if (done.size() > k) {
                done = new ArrayList<>(done.subList(0, k));
            }
            double bestPossible = cands.get(0).score / Math.pow(step, lengthPenalty);
            finished = done.size() == k && (earlyStopping || done.get(k - 1).score >= bestPossible);
            live = next;
            if (!finished && step == maxNew) {
                for (Hyp h : live) {
                    done.add(new Hyp(h.tokens, h.score / Math.pow(step, lengthPenalty)));
                }
            }
        }
        return done.stream().max(Comparator.comparingDouble(Hyp::score)).orElseThrow().tokens;
    }
}
