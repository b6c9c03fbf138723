package io.slmserve.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.slmserve.core.DecoderSession;
import io.slmserve.core.DecoderSession.DecoderRow;
import io.slmserve.core.LoadedModel;
import io.slmserve.core.ModelSpec;
import io.slmserve.core.ModelTask;
import io.slmserve.testing.LlamaFolders;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Llama-family folders converted at test time (llama tied / untied with GQA, llama3 rope scaling, mistral, phi3,
 * qwen2 with q/k/v biases, qwen3 with q/k norm) through the real DJL engine: batched greedy decoding with the
 * slot cache (prompts of different lengths prefilled into dirty, scattered slots, then joined by new prompts in
 * the running rows' call) equals greedy decoding recomputed from scratch with logits_all, token for token.
 */
class TorchLlamaDecoderTest {

    private static final int STEPS = 12;
    private static Path root;

    @BeforeAll
    static void build() {
        root = LlamaFolders.build(LlamaFolders.SHAPES);
    }

    @Test
    void everyModelTypeDecodesWithTheCacheAsRecomputed() throws Exception {
        for (String shape : LlamaFolders.SHAPES) {
            ModelSpec spec = new ModelSpec(shape, root.resolve(shape), ModelTask.TEXT_GENERATION, 4, Duration.ZERO,
                    4096, 8, 1, 1, 96, Map.of(), 128);
            try (LoadedModel model = new TorchDecoderLoader(new HalfPrecisionEncoderTest.EngineDefaults()).load(spec)) {
                check(shape, model);
            }
        }
    }

    private static void check(String shape, LoadedModel model) {
        int vocab = model.decoder().info().vocabularySize();
        assertTrue(vocab >= 8192, shape);
        long[][] prompts = {ids(model, "In the beginning God created the heaven and the earth."), ids(model, "And"),
            ids(model, "The LORD is my shepherd; I shall not want. He maketh me to lie down"),
            ids(model, "Blessed are the meek")};
        List<List<Long>> generated = new ArrayList<>();
        for (int slot = 0; slot < 4; slot++) {
            generated.add(new ArrayList<>());
        }
        int[] slotOf = {2, 0, 3, 1};
        try (DecoderSession session = model.decoder().openSession()) {
            // dirty every slot: stale keys and values must never become visible
            session.forward(List.of(new DecoderRow(0, 0, ids(model, "noise noise noise noise noise noise noise")),
                    new DecoderRow(1, 0, ids(model, "x y z w v u t s r q p o")),
                    new DecoderRow(2, 0, ids(model, "more noise here")), new DecoderRow(3, 0, ids(model, "a b c"))));
            // three prompts of different lengths, right-padded into slots 2, 0, 3
            List<DecoderRow> rows = new ArrayList<>();
            for (int p = 0; p < 3; p++) {
                rows.add(new DecoderRow(slotOf[p], 0, prompts[p]));
            }
            take(session.forward(rows), rows, vocab, generated);
            for (int step = 0; step < 3; step++) {
                rows = List.of(next(2, prompts[0], generated), next(0, prompts[1], generated),
                        next(3, prompts[2], generated));
                take(session.forward(rows), rows, vocab, generated);
            }
            // the fourth prompt joins the running rows in one call (forward_mixed)
            rows = List.of(next(2, prompts[0], generated), new DecoderRow(1, 0, prompts[3]),
                    next(0, prompts[1], generated), next(3, prompts[2], generated));
            float[] mixed = session.forward(rows);
            for (int b = 0; b < rows.size(); b++) {
                DecoderRow row = rows.get(b);
                int at = row.start() + row.tokens().length - 1;
                long[] whole = Arrays.copyOf(sequence(row.slot(), prompts, slotOf, generated), at + 1);
                float[] all = session.logitsAll(whole);
                assertArrayEquals(Arrays.copyOfRange(all, at * vocab, (at + 1) * vocab),
                        Arrays.copyOfRange(mixed, b * vocab, (b + 1) * vocab), 1e-3f, shape + " mixed row " + b);
            }
            take(mixed, rows, vocab, generated);
            for (int step = 0; step < STEPS; step++) {
                rows = List.of(next(0, prompts[1], generated), next(1, prompts[3], generated),
                        next(2, prompts[0], generated), next(3, prompts[2], generated));
                take(session.forward(rows), rows, vocab, generated);
            }
            for (int p = 0; p < 4; p++) {
                int slot = slotOf[p];
                long[] got = generated.get(slot).stream().mapToLong(Long::longValue).toArray();
                assertArrayEquals(recompute(session, prompts[p], got.length, vocab), got, shape + " prompt " + p);
                assertTrue(new HashSet<>(generated.get(slot)).size() > 2, shape + ": degenerate output");
            }
        }
    }

    private static long[] sequence(int slot, long[][] prompts, int[] slotOf, List<List<Long>> generated) {
        int p = 0;
        while (slotOf[p] != slot) {
            p++;
        }
        List<Long> mine = generated.get(slot);
        long[] out = Arrays.copyOf(prompts[p], prompts[p].length + mine.size());
        for (int i = 0; i < mine.size(); i++) {
            out[prompts[p].length + i] = mine.get(i);
        }
        return out;
    }

    private static void take(float[] logits, List<DecoderRow> rows, int vocab, List<List<Long>> generated) {
        for (int b = 0; b < rows.size(); b++) {
            generated.get(rows.get(b).slot()).add(TorchDecoderSessionTest.argmax(logits, b * vocab, vocab));
        }
    }

    private static DecoderRow next(int slot, long[] prompt, List<List<Long>> generated) {
        List<Long> mine = generated.get(slot);
        return new DecoderRow(slot, prompt.length + mine.size() - 1, new long[] {mine.get(mine.size() - 1)});
    }

    private static long[] recompute(DecoderSession session, long[] prompt, int steps, int vocab) {
        List<Long> ids = new ArrayList<>();
        for (long id : prompt) {
            ids.add(id);
        }
        long[] out = new long[steps];
        for (int s = 0; s < steps; s++) {
            long[] seq = ids.stream().mapToLong(Long::longValue).toArray();
            out[s] = TorchDecoderSessionTest.argmax(session.logitsAll(seq), (seq.length - 1) * vocab, vocab);
            ids.add(out[s]);
        }
        return out;
    }

    private static long[] ids(LoadedModel model, String text) {
        return model.tokenizer().encode(text, false).ids();
    }
}
