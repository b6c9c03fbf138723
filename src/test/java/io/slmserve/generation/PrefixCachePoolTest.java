package io.slmserve.generation;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.slmserve.core.DecoderSession.DecoderRow;
import io.slmserve.core.GenerationParams;
import io.slmserve.core.ServingMetrics;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import java.util.stream.LongStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Prefix caching in the scheduler against the fake decoder, whose logits depend on every id its slot holds:
 * a reused slot with the wrong contents, or a remainder prefilled at the wrong position, changes the text.
 */
class PrefixCachePoolTest {

    private GenerationPool pool;
    private FakeDecoder fake;
    private final AtomicLong promptTokens = new AtomicLong();
    private final AtomicLong hitTokens = new AtomicLong();

    @AfterEach
    void close() {
        if (pool != null) {
            pool.close();
        }
    }

    /** next = (polynomial hash of the whole history + its length) mod 200: never the end token. */
    private static final Function<long[], float[]> HASHING = FakeDecoder.peaked(h -> {
        long sum = 0;
        for (long t : h) {
            sum = sum * 31 + t;
        }
        return (int) Math.floorMod(sum + h.length, 200L);
    });

    private void start(int slots, int minTokens) {
        fake = new FakeDecoder(slots, 512, HASHING);
        ServingMetrics counting = new ServingMetrics() {
            @Override
            public void queueDepthGauge(String model, java.util.function.IntSupplier depth) {
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
            public void prefixCache(String model, int prompt, int hit) {
                promptTokens.addAndGet(prompt);
                hitTokens.addAndGet(hit);
            }
        };
        pool = new GenerationPool("fake", FakeDecoder.info(slots, 512), new FakeDecoder.Bytes(),
                new SchedulerLimits(slots, 100_000, 64, 1, 1, minTokens), () -> fake, counting);
    }

    private FakeDecoder.Recorder submit(long[] prompt, int maxNew) {
        FakeDecoder.Recorder r = new FakeDecoder.Recorder();
        pool.submit(new GenerationRequest(prompt, GenerationParams.builder().maxNewTokens(maxNew).seed(0L).build(),
                r));
        return r;
    }

    private List<Long> run(long[] prompt, int maxNew) throws Exception {
        FakeDecoder.Recorder r = submit(prompt, maxNew);
        r.done.get(10, TimeUnit.SECONDS);
        return r.ids();
    }

    /** A beam search of {@code width} beams, to its end: its tokens. */
    private List<Long> runBeams(long[] prompt, int width, int maxNew) throws Exception {
        FakeDecoder.Recorder r = new FakeDecoder.Recorder();
        pool.submit(new GenerationRequest(prompt, GenerationParams.builder().maxNewTokens(maxNew).seed(0L)
                .numBeams(width).build(), r));
        r.done.get(10, TimeUnit.SECONDS);
        return r.ids();
    }

    /** The fake's greedy continuation computed from the prompt alone, with no cache. */
    private static List<Long> reference(long[] prompt, int steps) {
        long[] history = prompt.clone();
        List<Long> out = new ArrayList<>();
        for (int i = 0; i < steps; i++) {
            float[] logits = HASHING.apply(history);
            int next = 0;
            for (int v = 1; v < logits.length; v++) {
                next = logits[v] > logits[next] ? v : next;
            }
            out.add((long) next);
            history = LongStream.concat(LongStream.of(history), LongStream.of(next)).toArray();
        }
        return out;
    }

    private static long[] prompt(long seed, int length) {
        return new java.util.SplittableRandom(seed).longs(length, 0, 200).toArray();
    }

    private static long[] concat(long[] a, long[] b) {
        return LongStream.concat(LongStream.of(a), LongStream.of(b)).toArray();
    }

    /** The prompt row of the last sequence admitted: the first row of that many tokens after {@code from}. */
    private DecoderRow promptRow(int from) {
        return fake.rowsSeen.subList(from, fake.rowsSeen.size()).get(0);
    }

    /** n choices of one request (greedy here, so all equal the reference). */
    private List<FakeDecoder.Recorder> submitChoices(long[] prompt, int n, int maxNew) {
        List<FakeDecoder.Recorder> recorders = new ArrayList<>();
        List<GenerationRequest> requests = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            FakeDecoder.Recorder r = new FakeDecoder.Recorder();
            recorders.add(r);
            requests.add(new GenerationRequest(prompt, GenerationParams.builder().maxNewTokens(maxNew)
                    .seed((long) i).build(), r));
        }
        pool.submit(requests);
        return recorders;
    }

    private long rowsOf(int start, int length) {
        return fake.rowsSeen.stream().filter(r -> r.start() == start && r.tokens().length == length).count();
    }

    @Test
    void choicesSharingAPromptPrefillItOnceAndForkTheSlot() throws Exception {
        start(4, 16);
        long[] p = prompt(14, 40);
        for (FakeDecoder.Recorder r : submitChoices(p, 3, 6)) {
            r.done.get(10, TimeUnit.SECONDS);
            assertEquals(reference(p, 6), r.ids());
        }
        assertEquals(1, rowsOf(0, 40), "the prompt is prefilled once");
        assertEquals(2, fake.rowsSeen.stream().filter(r -> r.start() == 39 && r.tokens().length == 1
                && r.tokens()[0] == p[39]).count(), "each other choice recomputes only the last prompt token");
        assertEquals(2, fake.copies.size());
        assertEquals(3 * 40, promptTokens.get());
        assertEquals(2 * 39, hitTokens.get());
    }

    @Test
    void withoutPrefixCachingEachChoicePrefillsItsPrompt() throws Exception {
        start(4, 0);
        long[] p = prompt(15, 40);
        for (FakeDecoder.Recorder r : submitChoices(p, 3, 6)) {
            r.done.get(10, TimeUnit.SECONDS);
            assertEquals(reference(p, 6), r.ids());
        }
        assertEquals(3, rowsOf(0, 40));
        assertEquals(0, fake.copies.size());
    }

    @Test
    void aShortPromptIsNotForked() throws Exception {
        start(4, 16);
        long[] p = prompt(16, 10);
        for (FakeDecoder.Recorder r : submitChoices(p, 2, 4)) {
            r.done.get(10, TimeUnit.SECONDS);
            assertEquals(reference(p, 4), r.ids());
        }
        assertEquals(2, rowsOf(0, 10));
    }

    @Test
    void aSharedPrefixIsNotPrefilledAgainAndTheOutputIsUnchanged() throws Exception {
        start(4, 16);
        long[] system = prompt(1, 40);
        long[] first = concat(system, prompt(2, 5));
        long[] second = concat(system, prompt(3, 7));
        assertEquals(reference(first, 6), run(first, 6));
        int before = fake.rowsSeen.size();
        assertEquals(reference(second, 6), run(second, 6));
        DecoderRow row = promptRow(before);
        assertEquals(40, row.start(), "prefill starts after the 40 shared tokens");
        assertArrayEquals(prompt(3, 7), row.tokens());
        assertEquals(first.length + second.length, promptTokens.get());
        assertEquals(40, hitTokens.get());
    }

    @Test
    void aPromptEqualToACachedOneRecomputesOnlyItsLastToken() throws Exception {
        start(2, 16);
        long[] p = prompt(4, 30);
        List<Long> once = run(p, 5);
        int before = fake.rowsSeen.size();
        assertEquals(once, run(p, 5));
        assertEquals(reference(p, 5), once);
        DecoderRow row = promptRow(before);
        assertEquals(29, row.start());
        assertArrayEquals(new long[] {p[29]}, row.tokens());
    }

    @Test
    void generatedTokensAreCachedTooForAFollowUpTurn() throws Exception {
        start(2, 16);
        long[] p = prompt(5, 20);
        List<Long> answer = run(p, 8);
        long[] followUp = concat(concat(p, answer.stream().mapToLong(Long::longValue).toArray()), prompt(6, 4));
        int before = fake.rowsSeen.size();
        assertEquals(reference(followUp, 4), run(followUp, 4));
        // every prompt token and every generated one but the last (never fed back) is in the slot
        assertEquals(20 + 8 - 1, promptRow(before).start());
    }

    @Test
    void theSlotWithTheLongestSharedPrefixIsChosen() throws Exception {
        start(3, 16);
        long[] shortShare = concat(prompt(7, 20), prompt(8, 30));
        long[] longShare = concat(prompt(7, 20), prompt(9, 30));
        run(shortShare, 3);
        run(longShare, 3);
        int longSlot = fake.rowsSeen.get(fake.rowsSeen.size() - 1).slot();
        long[] query = concat(concat(prompt(7, 20), java.util.Arrays.copyOf(prompt(9, 30), 25)), prompt(10, 3));
        int before = fake.rowsSeen.size();
        assertEquals(reference(query, 4), run(query, 4));
        assertEquals(45, promptRow(before).start());
        assertEquals(longSlot, promptRow(before).slot());
    }

    @Test
    void aShortMatchIsIgnoredAndTheLeastRecentlyUsedSlotIsEvicted() throws Exception {
        start(2, 16);
        long[] a = prompt(11, 30);
        long[] b = prompt(12, 30);
        run(a, 3);
        int slotA = fake.rowsSeen.get(fake.rowsSeen.size() - 1).slot();
        run(b, 3);
        // shares 10 tokens with a: under the minimum, so it prefills from 0 and evicts a's slot (least recent)
        long[] c = concat(java.util.Arrays.copyOf(a, 10), prompt(13, 30));
        int before = fake.rowsSeen.size();
        assertEquals(reference(c, 3), run(c, 3));
        assertEquals(0, promptRow(before).start());
        assertEquals(slotA, promptRow(before).slot());
        // b's prefix is still there; a's is gone
        before = fake.rowsSeen.size();
        assertEquals(reference(b, 3), run(b, 3));
        assertEquals(29, promptRow(before).start());
        before = fake.rowsSeen.size();
        run(a, 3);
        assertEquals(0, promptRow(before).start());
    }

    @Test
    void aBeamSearchReusesACachedPrefixAndLeavesItsPrompt() throws Exception {
        start(4, 16);
        long[] system = prompt(17, 30);
        long[] p = concat(system, prompt(18, 6));
        run(concat(system, prompt(19, 4)), 3);
        int slotSystem = fake.rowsSeen.get(fake.rowsSeen.size() - 1).slot();
        int before = fake.rowsSeen.size();
        // the fake's logits peak on one token, so two beams find the greedy path
        assertEquals(reference(p, 4), runBeams(p, 2, 4));
        DecoderRow prefill = promptRow(before);
        assertEquals(30, prefill.start(), "the beams' prompt is prefilled after the 30 cached tokens");
        assertEquals(slotSystem, prefill.slot());
        assertArrayEquals(prompt(18, 6), prefill.tokens());
        assertEquals(30, hitTokens.get(), "the beams' hit counts");
        // the beam search left its prompt in its first slot: the same prompt recomputes only its last token
        before = fake.rowsSeen.size();
        assertEquals(reference(p, 3), run(p, 3));
        assertEquals(p.length - 1, promptRow(before).start());
        assertEquals(slotSystem, promptRow(before).slot());
    }

    @Test
    void aBeamSearchWithoutASharedPrefixPrefillsWholeAndKeepsOtherPrefixes() throws Exception {
        start(4, 16);
        long[] p = prompt(20, 30);
        run(p, 3);
        int slotP = fake.rowsSeen.get(fake.rowsSeen.size() - 1).slot();
        long[] other = prompt(21, 30);
        int before = fake.rowsSeen.size();
        assertEquals(reference(other, 4), runBeams(other, 3, 4));
        assertEquals(true, fake.rowsSeen.stream().skip(before).allMatch(r -> r.slot() != slotP),
                "three beams in the three empty slots, the cached prefix untouched");
        assertEquals(0, promptRow(before).start());
        before = fake.rowsSeen.size();
        assertEquals(reference(p, 3), run(p, 3));
        assertEquals(29, promptRow(before).start());
        assertEquals(slotP, promptRow(before).slot());
    }

    @Test
    void turnedOffEveryPromptIsPrefilledWhole() throws Exception {
        start(2, 0);
        long[] p = prompt(14, 30);
        run(p, 3);
        int before = fake.rowsSeen.size();
        assertEquals(reference(p, 3), run(p, 3));
        assertEquals(0, promptRow(before).start());
        assertEquals(0, promptTokens.get());
    }

    @Test
    void concurrentPromptsSharingAPrefixMatchTheReference() throws Exception {
        start(3, 16);
        long[] system = prompt(15, 60);
        run(concat(system, prompt(16, 2)), 2);
        List<long[]> prompts = new ArrayList<>();
        List<FakeDecoder.Recorder> recorders = new ArrayList<>();
        fake.delayMillis = 2;
        for (int i = 0; i < 9; i++) {
            long[] p = concat(system, prompt(100 + i, 3 + i));
            prompts.add(p);
            recorders.add(submit(p, 5 + i % 4));
        }
        for (int i = 0; i < prompts.size(); i++) {
            recorders.get(i).done.get(10, TimeUnit.SECONDS);
            assertEquals(reference(prompts.get(i), 5 + i % 4), recorders.get(i).ids(), "prompt " + i);
        }
        long reusedRows = fake.rowsSeen.stream().filter(r -> r.start() == 60 && r.tokens().length > 1).count();
        assertEquals(true, reusedRows >= 2, "later arrivals reuse finished slots: " + reusedRows);
    }
}
