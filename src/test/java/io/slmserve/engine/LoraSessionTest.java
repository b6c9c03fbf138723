package io.slmserve.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.slmserve.adapters.AdapterFolder;
import io.slmserve.core.DecoderSession;
import io.slmserve.core.DecoderSession.DecoderRow;
import io.slmserve.core.LoadedModel;
import io.slmserve.core.LoraAdapter;
import io.slmserve.core.ModelSpec;
import io.slmserve.core.ModelTask;
import io.slmserve.testing.GptFolder;
import io.slmserve.testing.Processes;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Per-row LoRA through the real engine: random PEFT adapters written at test time (models/tools/
 * lora_java_fixtures.py), converted by convert_lora.py and read by the server's AdapterFolder. The reference is
 * independent of the per-row path: merge_lora.py folds the adapter into the base weights (W + B A scaling), and that
 * merged model, served on the plain path, must give the same logits and greedy tokens.
 */
class LoraSessionTest {

    private static final int STEPS = 32;
    private static final String[] NAMES = {"a0", "a1", "a2", "a3"};
    private static Path work;
    private static LoadedModel base;
    private static LoadedModel merged;
    private static List<LoraAdapter> adapters;

    @BeforeAll
    static void load() throws Exception {
        work = Files.createTempDirectory("lora-session");
        // a2 has rank 4 beside rank-8 adapters (zero-padded in the stacks) and touches c_attn only.
        Processes.python("models/tools/lora_java_fixtures.py", "--base", GptFolder.dir(), "--out", work,
                "--name", String.join(",", NAMES), "--rank", "8,8,4,8", "--only", "a2=c_attn", "--merge", "a0");
        base = load(GptFolder.dir(), "gpt");
        merged = load(work.resolve("a0-merged"), "gpt-a0-merged");
        adapters = new ArrayList<>();
        for (String name : NAMES) {
            adapters.add(AdapterFolder.read(name, work.resolve(name), base.decoder().loraTargets()));
        }
    }

    private static LoadedModel load(Path dir, String id) throws Exception {
        ModelSpec spec = new ModelSpec(id, dir, ModelTask.TEXT_GENERATION, 8, Duration.ZERO, 4096, 8, 1, 1, 128,
                Map.of(), 256);
        return new TorchDecoderLoader(new HalfPrecisionEncoderTest.EngineDefaults()).load(spec);
    }

    @AfterAll
    static void close() throws Exception {
        base.close();
        merged.close();
    }

    @Test
    void adapterEqualsMergedModelAndDiffersFromBase() {
        long[] prompt = ids("In the beginning God created the heaven and the earth.");
        int vocab = vocab();
        try (DecoderSession lora = base.decoder().openSession(); DecoderSession ref = merged.decoder().openSession()) {
            float[] withAdapter = lora.logitsAll(prompt, adapters.get(0));
            float[] mergedLogits = ref.logitsAll(prompt);
            float[] plain = lora.logitsAll(prompt);
            assertEquals(prompt.length * vocab, withAdapter.length);
            assertTrue(maxAbsDiff(withAdapter, mergedLogits) < 1e-3, "logits_all_lora vs merged: "
                    + maxAbsDiff(withAdapter, mergedLogits));
            assertTrue(maxAbsDiff(withAdapter, plain) > 0.1, "the adapter must change the logits");

            long[] served = greedyAlone(lora, prompt, adapters.get(0));
            long[] reference = greedyAlone(ref, prompt, null);
            assertArrayEquals(reference, served, "greedy with the adapter vs the merged model");
            assertFalse(Arrays.equals(greedyAlone(lora, prompt, null), served), "the adapter must change the output");
        }
    }

    @Test
    void mixedBatchesGiveEachRowItsOutputAlone() {
        long[][] prompts = {ids("And"), ids("In the beginning God created the heaven and the earth."),
            ids("Blessed are the meek"), ids("The LORD is my shepherd; I shall not want."),
            ids("And God said, Let there be light")};
        LoraAdapter[] chosen = {adapters.get(0), null, adapters.get(2), adapters.get(1), adapters.get(3)};
        long[][] alone = new long[prompts.length][];
        try (DecoderSession session = base.decoder().openSession()) {
            for (int i = 0; i < prompts.length; i++) {
                alone[i] = greedyAlone(session, prompts[i], chosen[i]);
            }
            assertNotEquals(Arrays.toString(alone[1]), Arrays.toString(greedyAlone(session, prompts[1],
                    adapters.get(3))), "adapters must change the base row's output");
        }
        try (DecoderSession session = base.decoder().openSession()) {
            long rebuildsBefore = ((TorchDecoderSession) session).loraRebuilds();
            // Row i joins at step i: prefill-only, mixed (prompt + running rows) and decode-only calls, rows of
            // four adapters and the base in each.
            long[][] got = new long[prompts.length][STEPS];
            int[] done = new int[prompts.length];
            int[] position = new int[prompts.length];
            for (int step = 0; step < STEPS + prompts.length; step++) {
                List<DecoderRow> rows = new ArrayList<>();
                List<Integer> who = new ArrayList<>();
                for (int i = 0; i < prompts.length; i++) {
                    if (i > step || done[i] == STEPS) {
                        continue;
                    }
                    rows.add(i == step ? new DecoderRow(7 - i, 0, prompts[i], chosen[i])
                            : new DecoderRow(7 - i, position[i], new long[] {got[i][done[i] - 1]}, chosen[i]));
                    who.add(i);
                }
                if (rows.isEmpty()) {
                    break;
                }
                float[] logits = session.forward(rows);
                for (int r = 0; r < rows.size(); r++) {
                    int i = who.get(r);
                    position[i] += rows.get(r).tokens().length;
                    got[i][done[i]++] = TorchDecoderSessionTest.argmax(logits, r * vocab(), vocab());
                }
            }
            for (int i = 0; i < prompts.length; i++) {
                assertArrayEquals(alone[i], got[i], "row " + i + " (adapter " + chosen[i] + ")");
            }
            // Built when each of the four adapters first appears, never again over the remaining 30-odd steps.
            assertEquals(4, ((TorchDecoderSession) session).loraRebuilds() - rebuildsBefore,
                    "the stacks are rebuilt only when a new adapter becomes resident");
        }
    }

    /** Prefill then one-token steps in slot 0, nothing else in the calls. */
    private static long[] greedyAlone(DecoderSession session, long[] prompt, LoraAdapter adapter) {
        long[] out = new long[STEPS];
        float[] logits = session.forward(List.of(new DecoderRow(0, 0, prompt, adapter)));
        int position = prompt.length;
        for (int t = 0; t < STEPS; t++) {
            out[t] = TorchDecoderSessionTest.argmax(logits, 0, vocab());
            if (t + 1 < STEPS) {
                logits = session.forward(List.of(new DecoderRow(0, position++, new long[] {out[t]}, adapter)));
            }
        }
        return out;
    }

    static double maxAbsDiff(float[] a, float[] b) {
        double max = 0;
        for (int i = 0; i < a.length; i++) {
            max = Math.max(max, Math.abs(a[i] - b[i]));
        }
        return max;
    }

    private static int vocab() {
        return base.decoder().info().vocabularySize();
    }

    private static long[] ids(String text) {
        return base.tokenizer().encode(text, false).ids();
    }
}
