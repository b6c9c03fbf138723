package io.slmserve.generation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.slmserve.core.Deadline;
import io.slmserve.core.ErrorKind;
import io.slmserve.core.FinishReason;
import io.slmserve.core.GenerationParams;
import io.slmserve.core.ServingException;
import io.slmserve.core.ServingMetrics;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The iteration-level scheduler against a fake decoder: admission, slots, stops, cancellation, overload. */
class GenerationPoolTest {

    private GenerationPool pool;
    private FakeDecoder fake;

    @AfterEach
    void close() {
        if (pool != null) {
            pool.close();
        }
    }

    private GenerationPool start(int slots, int budget, int queue, Function<long[], float[]> model) {
        fake = new FakeDecoder(slots, 512, model);
        pool = new GenerationPool("fake", FakeDecoder.info(slots, 512), new FakeDecoder.Bytes(),
                new SchedulerLimits(slots, budget, queue, 1, 1), () -> fake, ServingMetrics.NONE);
        return pool;
    }

    private static GenerationParams.Builder params(int maxNew) {
        return GenerationParams.builder().maxNewTokens(maxNew).seed(0L);
    }

    private FakeDecoder.Recorder run(long[] prompt, GenerationParams params) {
        FakeDecoder.Recorder recorder = new FakeDecoder.Recorder();
        pool.submit(new GenerationRequest(prompt, params, recorder));
        return recorder;
    }

    private static GenerationResult await(FakeDecoder.Recorder r) throws Exception {
        return r.done.get(10, TimeUnit.SECONDS);
    }

    /** Deterministic, slot-dependent: next = (sum of history * 31 + length) mod 200. */
    private static final Function<long[], float[]> HASHING = FakeDecoder.peaked(h -> {
        long sum = 0;
        for (long t : h) {
            sum = sum * 31 + t;
        }
        return (int) Math.floorMod(sum + h.length, 200L);
    });

    private static List<Long> reference(long[] prompt, int steps) {
        List<Long> history = new ArrayList<>();
        for (long t : prompt) {
            history.add(t);
        }
        List<Long> out = new ArrayList<>();
        for (int i = 0; i < steps; i++) {
            float[] logits = HASHING.apply(history.stream().mapToLong(Long::longValue).toArray());
            long next = 0;
            for (int v = 0; v < logits.length; v++) {
                next = logits[v] > logits[(int) next] ? v : next;
            }
            out.add(next);
            history.add(next);
        }
        return out;
    }

    @Test
    void greedyFollowsTheModelAndStopsAtLength() throws Exception {
        start(4, 10_000, 8, HASHING);
        long[] prompt = {5, 6, 7};
        FakeDecoder.Recorder r = run(prompt, params(20).build());
        GenerationResult result = await(r);
        assertEquals(FinishReason.LENGTH, result.reason());
        assertEquals(20, result.generatedTokens());
        assertEquals(reference(prompt, 20), r.ids());
        assertEquals(List.of("finish"), r.terminals);
    }

    @Test
    void concurrentSequencesShareStepsAndKeepTheirOwnSlots() throws Exception {
        start(4, 10_000, 16, HASHING);
        fake.delayMillis = 2;
        List<long[]> prompts = List.of(new long[] {1}, new long[] {2, 3, 4, 5}, new long[] {9, 9}, new long[] {7, 1, 7});
        List<FakeDecoder.Recorder> recorders = new ArrayList<>();
        for (long[] p : prompts) {
            recorders.add(run(p, params(30).build()));
        }
        for (int i = 0; i < prompts.size(); i++) {
            await(recorders.get(i));
            assertEquals(reference(prompts.get(i), 30), recorders.get(i).ids(), "prompt " + i);
        }
        assertTrue(fake.callRows.stream().anyMatch(rows -> rows > 1), "decode steps batched several sequences");
    }

    @Test
    void aShortRequestJoinsARunningOneAndFinishesFirst() throws Exception {
        start(4, 10_000, 8, HASHING);
        fake.delayMillis = 3;
        FakeDecoder.Recorder longOne = run(new long[] {1, 2}, params(200).build());
        while (longOne.tokens.size() < 5) {
            Thread.sleep(1);
        }
        FakeDecoder.Recorder shortOne = run(new long[] {3}, params(5).build());
        await(shortOne);
        assertFalse(longOne.done.isDone(), "the short request did not wait for the long one");
        await(longOne);
        assertEquals(reference(new long[] {3}, 5), shortOne.ids());
        assertEquals(reference(new long[] {1, 2}, 200), longOne.ids());
        assertTrue(fake.mixedCalls.get() > 0, "the short prompt rode in the long one's step");
    }

    @Test
    void aPromptTheModelCannotRunFailsAloneWhenItJoinsRunningSequences() throws Exception {
        start(4, 10_000, 8, history -> {
            if (history[0] == 99) {
                throw new IllegalStateException("injected: the model cannot run this prompt");
            }
            return HASHING.apply(history);
        });
        fake.delayMillis = 3;
        FakeDecoder.Recorder longOne = run(new long[] {1, 2}, params(60).build());
        while (longOne.tokens.size() < 5) {
            Thread.sleep(1);
        }
        FakeDecoder.Recorder poisoned = run(new long[] {99, 3}, params(5).build());
        ExecutionException e = assertThrows(ExecutionException.class, () -> await(poisoned));
        assertEquals(ErrorKind.ENGINE_FAILURE, ((ServingException) e.getCause()).kind());
        assertEquals(FinishReason.LENGTH, await(longOne).reason());
        assertEquals(reference(new long[] {1, 2}, 60), longOne.ids());
        assertTrue(fake.mixedCalls.get() > 0, "the poisoned prompt was first tried beside the running sequence");
    }

    @Test
    void stopStringsMatchAcrossTokensAndAreExcluded() throws Exception {
        start(2, 10_000, 8, FakeDecoder.spelling("abc STOP def"));
        FakeDecoder.Recorder r = run(new long[] {0}, params(50).stop(List.of("STOP", "zzz")).build());
        GenerationResult result = await(r);
        assertEquals(FinishReason.STOP_SEQUENCE, result.reason());
        assertEquals("abc ", result.text());
        assertEquals(result.text(), r.streamed());
        assertTrue(r.tokens.stream().noneMatch(t -> t.text().contains("S")), "no part of the stop string streamed");
    }

    @Test
    void heldBackTextIsReleasedWhenTheStopNeverCompletes() throws Exception {
        start(2, 10_000, 8, FakeDecoder.spelling("abc ST"));
        FakeDecoder.Recorder r = run(new long[] {0}, params(50).stop(List.of("STOP")).build());
        GenerationResult result = await(r);
        assertEquals(FinishReason.EOS_TOKEN, result.reason());
        assertEquals("abc ST", result.text());
        assertEquals(result.text(), r.streamed());
    }

    @Test
    void multiByteCharactersAreNeverSplit() throws Exception {
        String text = "héllo wörld 😀 日本";
        start(2, 10_000, 8, FakeDecoder.spelling(text));
        FakeDecoder.Recorder r = run(new long[] {0}, params(100).build());
        GenerationResult result = await(r);
        assertEquals(text, result.text());
        assertEquals(text, r.streamed());
        assertTrue(r.tokens.stream().noneMatch(t -> t.text().indexOf('\uFFFD') >= 0), "no replacement character");
        assertTrue(r.tokens.get(r.tokens.size() - 1).special(), "the EOS token is marked special");
    }

    @Test
    void stopTokenIdsEndAndIgnoreEosAndMinTokensKeepGoing() throws Exception {
        start(2, 10_000, 8, FakeDecoder.spelling("ab"));
        GenerationResult eos = await(run(new long[] {0}, params(10).build()));
        assertEquals(FinishReason.EOS_TOKEN, eos.reason());
        assertEquals(3, eos.generatedTokens());
        GenerationResult stopId = await(run(new long[] {0}, params(10).stopTokenIds(List.of((long) 'b')).build()));
        assertEquals(FinishReason.EOS_TOKEN, stopId.reason());
        assertEquals("ab", stopId.text(), "as in vLLM, a non-special stop token keeps its text");
        GenerationResult ignored = await(run(new long[] {0}, params(10).ignoreEos(true).build()));
        assertEquals(FinishReason.LENGTH, ignored.reason());
        assertEquals(10, ignored.generatedTokens());
        GenerationResult min = await(run(new long[] {0}, params(10).minTokens(6).build()));
        assertTrue(min.generatedTokens() >= 6, "EOS suppressed before min_tokens");
    }

    @Test
    void seededSamplingIsReproducible() throws Exception {
        start(4, 10_000, 8, h -> {
            float[] logits = new float[FakeDecoder.VOCAB];
            for (int v = 0; v < 200; v++) {
                logits[v] = (float) Math.sin(v * 0.37 + h.length);
            }
            return logits;
        });
        GenerationParams sampled = params(40).sample(true).temperature(1.5).topK(50).topP(0.95).seed(42L).build();
        List<Long> first = runIds(sampled);
        assertEquals(first, runIds(sampled));
        assertFalse(first.equals(runIds(sampled.withSeed(43))), "another seed gives another sample");
    }

    private List<Long> runIds(GenerationParams params) throws Exception {
        FakeDecoder.Recorder r = run(new long[] {1, 2, 3}, params);
        await(r);
        return r.ids();
    }

    @Test
    void aFullQueueRejectsWith429() throws Exception {
        start(1, 10_000, 1, HASHING);
        fake.delayMillis = 5;
        FakeDecoder.Recorder running = run(new long[] {1}, params(400).build());
        while (pool.running() == 0) {
            Thread.sleep(1);
        }
        FakeDecoder.Recorder waiting = run(new long[] {2}, params(5).build());
        ServingException e = assertThrows(ServingException.class, () -> run(new long[] {3}, params(5).build()));
        assertEquals(ErrorKind.QUEUE_FULL, e.kind());
        assertEquals(1, e.retryAfterSeconds());
        pool.close();
        assertTrue(running.terminals.size() == 1 && waiting.terminals.equals(List.of("error")));
    }

    /**
     * A burst that arrives while the worker is busy in a forward call (so it has not taken anything yet) may
     * fill the idle slots and the queue: the capacity bounds what must wait, not what is about to run.
     */
    @Test
    void aBurstIsNotRefusedWhileSlotsAreIdle() throws Exception {
        start(3, 10_000, 2, HASHING);
        fake.delayMillis = 400;
        run(new long[] {1}, params(400).build());
        while (pool.running() == 0) {
            Thread.sleep(1);
        }
        Thread.sleep(50); // the worker is now inside a 400 ms forward call with two slots idle
        List<FakeDecoder.Recorder> burst = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            burst.add(run(new long[] {(long) (2 + i)}, params(5).build()));
        }
        ServingException e = assertThrows(ServingException.class, () -> run(new long[] {9}, params(5).build()));
        assertEquals(ErrorKind.QUEUE_FULL, e.kind(), "two idle slots plus a queue of two hold four, not five");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while ((pool.running() < 3 || pool.waiting() > 2) && System.nanoTime() < deadline) {
            Thread.sleep(1);
        }
        assertEquals(3, pool.running(), "the idle slots were taken at the next step");
        assertEquals(2, pool.waiting());
        assertThrows(ServingException.class, () -> run(new long[] {10}, params(5).build()), "slots full, queue full");
        fake.delayMillis = 0;
        for (FakeDecoder.Recorder r : burst) {
            assertEquals(FinishReason.LENGTH, await(r).reason());
        }
    }

    @Test
    void cancellingFreesTheSlotWithinAStep() throws Exception {
        start(1, 10_000, 4, HASHING);
        fake.delayMillis = 2;
        FakeDecoder.Recorder r = new FakeDecoder.Recorder();
        GenerationHandle handle = pool.submit(new GenerationRequest(new long[] {1}, params(10_000).build(), r));
        FakeDecoder.Recorder queued = new FakeDecoder.Recorder();
        GenerationHandle queuedHandle = pool.submit(new GenerationRequest(new long[] {2}, params(5).build(), queued));
        while (r.tokens.size() < 3) {
            Thread.sleep(1);
        }
        queuedHandle.cancel();
        assertEquals(List.of("cancelled"), queued.terminals);
        handle.cancel();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
        // The slot is freed first, then the listener hears of it: wait for both.
        while ((pool.running() > 0 || r.terminals.isEmpty()) && System.nanoTime() < deadline) {
            Thread.sleep(1);
        }
        assertEquals(0, pool.running());
        assertEquals(List.of("cancelled"), r.terminals);
        assertEquals(FinishReason.LENGTH, await(run(new long[] {3}, params(3).build())).reason(), "slot reused");
    }

    @Test
    void theTokenBudgetHoldsBackASequenceThatDoesNotFit() throws Exception {
        start(4, 60, 8, HASHING);
        fake.delayMillis = 2;
        FakeDecoder.Recorder first = run(new long[] {1}, params(49).build());
        FakeDecoder.Recorder second = run(new long[] {2}, params(20).build());
        await(second);
        assertTrue(first.done.isDone(), "the second sequence waited for the first's budget");
        assertTrue(fake.callRows.stream().allMatch(rows -> rows == 1));
    }

    @Test
    void anEngineFailureFailsOnlyThatStepsSequences() throws Exception {
        start(2, 10_000, 8, HASHING);
        fake.failNext = true;
        FakeDecoder.Recorder failed = run(new long[] {1}, params(5).build());
        ExecutionException e = assertThrows(ExecutionException.class, () -> await(failed));
        assertEquals(ErrorKind.ENGINE_FAILURE, ((ServingException) e.getCause()).kind());
        assertEquals(FinishReason.LENGTH, await(run(new long[] {1}, params(5).build())).reason());
    }

    @Test
    void deadlinesEndRunningAndWaitingSequencesWith504AndFreeTheirPlaces() throws Exception {
        start(1, 10_000, 4, HASHING);
        fake.delayMillis = 2;
        Deadline soon = Deadline.after(java.time.Duration.ofMillis(300));
        FakeDecoder.Recorder running = new FakeDecoder.Recorder();
        pool.submit(new GenerationRequest(new long[] {1}, params(10_000).build(), running, soon));
        FakeDecoder.Recorder waiting = new FakeDecoder.Recorder();
        pool.submit(new GenerationRequest(new long[] {2}, params(10_000).build(), waiting, soon));
        long start = System.nanoTime();
        ExecutionException ran = assertThrows(ExecutionException.class, () -> await(running));
        ExecutionException queued = assertThrows(ExecutionException.class, () -> await(waiting));
        long tookMs = (System.nanoTime() - start) / 1_000_000;
        assertEquals(ErrorKind.DEADLINE_EXCEEDED, ((ServingException) ran.getCause()).kind());
        assertTrue(ran.getCause().getMessage().contains("generating"), ran.getCause().getMessage());
        assertEquals(ErrorKind.DEADLINE_EXCEEDED, ((ServingException) queued.getCause()).kind());
        assertTrue(queued.getCause().getMessage().contains("queued"), queued.getCause().getMessage());
        assertTrue(tookMs < 1_000, "ended within a step of the deadline, took " + tookMs + " ms");
        assertEquals(List.of("error"), running.terminals);
        assertEquals(List.of("error"), waiting.terminals);
        assertEquals(0, pool.running());
        assertEquals(0, pool.waiting());
        assertTrue(running.tokens.size() > 0 && running.tokens.size() < 10_000, "it ran, then stopped");
        assertEquals(FinishReason.LENGTH, await(run(new long[] {3}, params(3).build())).reason(), "slot reused");
    }
}
