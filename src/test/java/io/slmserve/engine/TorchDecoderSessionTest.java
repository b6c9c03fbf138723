package io.slmserve.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.slmserve.core.DecoderSession;
import io.slmserve.core.DecoderSession.DecoderRow;
import io.slmserve.core.LoadedModel;
import io.slmserve.core.ModelSpec;
import io.slmserve.core.ModelTask;
import io.slmserve.testing.GptFolder;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The slot KV cache through DJL: batched greedy decoding with the cache, prefilled right-padded into
 * scattered slots, equals greedy decoding recomputed from scratch (logits_all) every step, token for token.
 */
class TorchDecoderSessionTest {

    private static final int STEPS = 24;
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
    void cachedBatchedGreedyEqualsRecomputedGreedy() {
        List<long[]> prompts = List.of(
                ids("In the beginning God created the heaven and the earth."),
                ids("And"),
                ids("The LORD is my shepherd; I shall not want. He maketh me to lie down"));
        int[] slots = {2, 0, 3};
        int vocab = model.decoder().info().vocabularySize();
        try (DecoderSession session = model.decoder().openSession()) {
            // Dirty every slot first: stale data from earlier sequences must never become visible.
            session.forward(List.of(new DecoderRow(0, 0, ids("noise noise noise noise noise noise noise noise")),
                    new DecoderRow(2, 0, ids("more noise here")), new DecoderRow(3, 0, ids("x y z w v u t s r q"))));
            List<DecoderRow> rows = new ArrayList<>();
            for (int b = 0; b < prompts.size(); b++) {
                rows.add(new DecoderRow(slots[b], 0, prompts.get(b)));
            }
            float[] logits = session.forward(rows);
            List<List<Long>> cached = new ArrayList<>();
            int[] lengths = new int[prompts.size()];
            for (int b = 0; b < prompts.size(); b++) {
                cached.add(new ArrayList<>());
                lengths[b] = prompts.get(b).length;
            }
            for (int step = 0; step < STEPS; step++) {
                rows.clear();
                for (int b = 0; b < prompts.size(); b++) {
                    long next = argmax(logits, b * vocab, vocab);
                    cached.get(b).add(next);
                    rows.add(new DecoderRow(slots[b], lengths[b]++, new long[] {next}));
                }
                logits = session.forward(rows);
            }
            for (int b = 0; b < prompts.size(); b++) {
                long[] expected = recompute(session, prompts.get(b), STEPS, vocab);
                long[] got = cached.get(b).stream().mapToLong(Long::longValue).toArray();
                assertArrayEquals(expected, got, "prompt " + b + " (" + prompts.get(b).length + " tokens)");
            }
        }
    }

    @Test
    void promptsJoiningRunningRowsInOneCallDecodeAsRecomputed() {
        long[][] prompts = {ids("And"), ids("In the beginning God created the heaven and the earth."),
            ids("Blessed are the meek"), ids("The LORD is my shepherd; I shall not want.")};
        int vocab = model.decoder().info().vocabularySize();
        List<List<Long>> generated = new ArrayList<>();
        for (int slot = 0; slot < 4; slot++) {
            generated.add(new ArrayList<>());
        }
        try (DecoderSession session = model.decoder().openSession()) {
            session.forward(List.of(new DecoderRow(2, 0, ids("noise noise noise noise noise noise noise noise")),
                    new DecoderRow(3, 0, ids("x y z w v u t s r q p o n m"))));
            // slots 0 and 1 run three steps
            List<DecoderRow> rows = List.of(new DecoderRow(0, 0, prompts[0]), new DecoderRow(1, 0, prompts[1]));
            for (int step = 0; step < 4; step++) {
                takeArgmax(session.forward(rows), rows, vocab, generated);
                rows = List.of(next(0, prompts, generated), next(1, prompts, generated));
            }
            // prompts for slots 3 and 2 join them: one call whose rows interleave prompts and one-token rows
            rows = List.of(new DecoderRow(3, 0, prompts[3]), next(1, prompts, generated),
                    new DecoderRow(2, 0, prompts[2]), next(0, prompts, generated));
            float[] mixed = session.forward(rows);
            for (int b = 0; b < rows.size(); b++) {
                DecoderRow row = rows.get(b);
                int at = row.start() + row.tokens().length - 1;
                float[] all = session.logitsAll(sequence(row.slot(), prompts, generated));
                assertArrayEquals(java.util.Arrays.copyOfRange(all, at * vocab, (at + 1) * vocab),
                        java.util.Arrays.copyOfRange(mixed, b * vocab, (b + 1) * vocab), 1e-3f, "row " + b);
            }
            takeArgmax(mixed, rows, vocab, generated);
            for (int step = 0; step < 8; step++) {
                rows = List.of(next(0, prompts, generated), next(1, prompts, generated), next(2, prompts, generated),
                        next(3, prompts, generated));
                takeArgmax(session.forward(rows), rows, vocab, generated);
            }
            for (int slot = 0; slot < 4; slot++) {
                long[] got = generated.get(slot).stream().mapToLong(Long::longValue).toArray();
                assertArrayEquals(recompute(session, prompts[slot], got.length, vocab), got, "slot " + slot);
            }
        }
    }

    private static void takeArgmax(float[] logits, List<DecoderRow> rows, int vocab, List<List<Long>> generated) {
        for (int b = 0; b < rows.size(); b++) {
            generated.get(rows.get(b).slot()).add(argmax(logits, b * vocab, vocab));
        }
    }

    /** The slot's next one-token row: its last generated token at the position after it. */
    private static DecoderRow next(int slot, long[][] prompts, List<List<Long>> generated) {
        List<Long> mine = generated.get(slot);
        return new DecoderRow(slot, prompts[slot].length + mine.size() - 1, new long[] {mine.get(mine.size() - 1)});
    }

    private static long[] sequence(int slot, long[][] prompts, List<List<Long>> generated) {
        List<Long> mine = generated.get(slot);
        long[] out = java.util.Arrays.copyOf(prompts[slot], prompts[slot].length + mine.size());
        for (int i = 0; i < mine.size(); i++) {
            out[prompts[slot].length + i] = mine.get(i);
        }
        return out;
    }

    @Test
    void singleRowLogitsMatchLogitsAll() {
        long[] prompt = ids("Blessed are the meek: for they shall inherit the earth.");
        int vocab = model.decoder().info().vocabularySize();
        try (DecoderSession session = model.decoder().openSession()) {
            float[] cached = session.forward(List.of(new DecoderRow(1, 0, prompt)));
            float[] all = session.logitsAll(prompt);
            assertEquals(prompt.length * vocab, all.length);
            double worst = 0;
            for (int v = 0; v < vocab; v++) {
                worst = Math.max(worst, Math.abs(cached[v] - all[(prompt.length - 1) * vocab + v]));
            }
            assertTrue(worst < 1e-3, "last-position logits differ by " + worst);
        }
    }

    @Test
    void aCopiedSlotDecodesAsItsOriginal() {
        long[] prompt = ids("In the beginning God created the heaven");
        long[] other = ids("And");
        int vocab = model.decoder().info().vocabularySize();
        try (DecoderSession session = model.decoder().openSession()) {
            session.forward(List.of(new DecoderRow(0, 0, prompt), new DecoderRow(2, 0, other)));
            session.forward(List.of(new DecoderRow(0, prompt.length, ids(" and")),
                    new DecoderRow(2, other.length, ids(" the"))));
            // Slot 2 held a shorter sequence; after the copy it continues slot 0's, as do slots 1 and 3.
            session.copySlots(new int[] {0, 0, 0}, new int[] {1, 2, 3});
            int at = prompt.length + 1;
            long[] next = ids(" the");
            float[] logits = session.forward(List.of(new DecoderRow(0, at, next), new DecoderRow(1, at, next),
                    new DecoderRow(2, at, next), new DecoderRow(3, at, next)));
            float[] original = java.util.Arrays.copyOfRange(logits, 0, vocab);
            for (int b = 1; b < 4; b++) {
                assertArrayEquals(original, java.util.Arrays.copyOfRange(logits, b * vocab, (b + 1) * vocab), 1e-4f,
                        "slot " + b + " after the copy");
            }
            long[] whole = new long[at + 1];
            System.arraycopy(prompt, 0, whole, 0, prompt.length);
            whole[prompt.length] = ids(" and")[0];
            whole[at] = next[0];
            float[] all = session.logitsAll(whole);
            assertArrayEquals(java.util.Arrays.copyOfRange(all, at * vocab, (at + 1) * vocab), original, 1e-3f);
        }
    }

    private static long[] recompute(DecoderSession session, long[] prompt, int steps, int vocab) {
        List<Long> ids = new ArrayList<>();
        for (long id : prompt) {
            ids.add(id);
        }
        long[] out = new long[steps];
        for (int s = 0; s < steps; s++) {
            long[] seq = ids.stream().mapToLong(Long::longValue).toArray();
            float[] all = session.logitsAll(seq);
            out[s] = argmax(all, (seq.length - 1) * vocab, vocab);
            ids.add(out[s]);
        }
        return out;
    }

    static long argmax(float[] logits, int offset, int vocab) {
        int best = 0;
        for (int v = 1; v < vocab; v++) {
            if (logits[offset + v] > logits[offset + best]) {
                best = v;
            }
        }
        return best;
    }

    private static long[] ids(String text) {
        return model.tokenizer().encode(text, false).ids();
    }
}
