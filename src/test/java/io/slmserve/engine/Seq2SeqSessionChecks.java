package io.slmserve.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.slmserve.core.DecoderSession.DecoderRow;
import io.slmserve.core.LoadedModel;
import io.slmserve.core.ModelSpec;
import io.slmserve.registry.ServingProperties;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * What every encoder-decoder family must do through DJL (subclasses name the folder): sources of different
 * lengths encoded in one batch into scattered slots, then batched greedy decode steps with the self and cross
 * caches, equal greedy decoding recomputed from scratch (logits_all) every step, token for token; and a copied slot
 * (beam fork) decodes exactly as its original.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class Seq2SeqSessionChecks {

    private static final List<String> SOURCES = List.of("4817", "5", "1234567", "60");
    private LoadedModel model;
    private int steps;

    /** The served folder under test. */
    abstract Path folder() throws Exception;

    @BeforeAll
    void load() throws Exception {
        ModelSpec folder = ServingProperties.read("seq2seq", folder());
        ModelSpec spec = new ModelSpec("seq2seq", folder.dir(), folder.task(), 6, Duration.ZERO, 100_000, 8, 1, 1,
                folder.maxInputTokens(), folder.options(), folder.maxTotalTokens());
        model = new TorchSeq2SeqLoader(new HalfPrecisionEncoderTest.EngineDefaults()).load(spec);
        steps = Math.min(24, model.decoder().info().maxNewTokens());
    }

    @AfterAll
    void close() throws Exception {
        model.close();
    }

    @Test
    void batchedEncodeAndCachedDecodeEqualRecomputation() {
        int vocab = model.decoder().info().vocabularySize();
        int[] slots = {4, 0, 2, 5};
        try (TorchSeq2SeqSession session = (TorchSeq2SeqSession) model.decoder().openSession()) {
            // Dirty the slots first with longer sources: stale cross keys past a new source's end must stay unseen.
            List<DecoderRow> noise = new ArrayList<>();
            for (int slot : slots) {
                noise.add(new DecoderRow(slot, 0, ids("9999999999")));
            }
            float[] logits = session.forward(noise);
            session.forward(noise.stream().map(r -> new DecoderRow(r.slot(), r.tokens().length, new long[] {7}))
                    .toList());
            List<DecoderRow> rows = new ArrayList<>();
            for (int b = 0; b < SOURCES.size(); b++) {
                rows.add(new DecoderRow(slots[b], 0, ids(SOURCES.get(b))));
            }
            logits = session.forward(rows);
            long[][] cached = new long[SOURCES.size()][steps];
            int[] next = new int[SOURCES.size()];
            for (int b = 0; b < SOURCES.size(); b++) {
                next[b] = ids(SOURCES.get(b)).length;
            }
            for (int step = 0; step < steps; step++) {
                rows.clear();
                for (int b = 0; b < SOURCES.size(); b++) {
                    cached[b][step] = TorchDecoderSessionTest.argmax(logits, b * vocab, vocab);
                    rows.add(new DecoderRow(slots[b], next[b]++, new long[] {cached[b][step]}));
                }
                if (step + 1 < steps) {
                    logits = session.forward(rows);
                }
            }
            for (int b = 0; b < SOURCES.size(); b++) {
                assertArrayEquals(recompute(session, ids(SOURCES.get(b)), vocab), cached[b],
                        "source '" + SOURCES.get(b) + "'");
            }
            // A checkpoint whose output ignores the source or repeats one token would prove little.
            assertTrue(Arrays.stream(cached).map(Arrays::toString).distinct().count() > 2, "outputs ignore the source");
            assertTrue(Arrays.stream(cached).filter(r -> Arrays.stream(r).distinct().count() > 2).count() >= 2,
                    "outputs repeat one token");
        }
    }

    @Test
    void startStepLogitsMatchLogitsAll() {
        int vocab = model.decoder().info().vocabularySize();
        long[] source = ids("4817");
        try (TorchSeq2SeqSession session = (TorchSeq2SeqSession) model.decoder().openSession()) {
            float[] cached = session.forward(List.of(new DecoderRow(1, 0, source)));
            float[] all = session.logitsAll(source, new long[] {session.decoderStartTokenId()});
            assertEquals(vocab, all.length);
            double worst = 0;
            for (int v = 0; v < vocab; v++) {
                worst = Math.max(worst, Math.abs(cached[v] - all[v]));
            }
            assertTrue(worst < 1e-3, "start-step logits differ by " + worst);
        }
    }

    @Test
    void aCopiedSlotDecodesAsItsOriginal() {
        int vocab = model.decoder().info().vocabularySize();
        long[] source = ids("1234567");
        long[] other = ids("5");
        try (TorchSeq2SeqSession session = (TorchSeq2SeqSession) model.decoder().openSession()) {
            session.forward(List.of(new DecoderRow(1, 0, source), new DecoderRow(3, 0, other)));
            long[] prefix = {7, 8, 9};
            for (int k = 0; k < prefix.length; k++) {
                session.forward(List.of(new DecoderRow(1, source.length + k, new long[] {prefix[k]}),
                        new DecoderRow(3, other.length + k, new long[] {prefix[(k + 1) % 3]})));
            }
            // Slot 3 held another source and other tokens; after the copy it continues slot 1's sequence.
            session.copySlots(new int[] {1, 1}, new int[] {3, 5});
            int at = source.length + prefix.length;
            float[] logits = session.forward(List.of(new DecoderRow(1, at, new long[] {11}),
                    new DecoderRow(3, at, new long[] {11}), new DecoderRow(5, at, new long[] {11})));
            float[] original = Arrays.copyOfRange(logits, 0, vocab);
            assertArrayEquals(original, Arrays.copyOfRange(logits, vocab, 2 * vocab), 1e-4f, "slot 3 after copy");
            assertArrayEquals(original, Arrays.copyOfRange(logits, 2 * vocab, 3 * vocab), 1e-4f, "slot 5 after copy");
            float[] all = session.logitsAll(source, new long[] {session.decoderStartTokenId(), 7, 8, 9, 11});
            assertArrayEquals(Arrays.copyOfRange(all, 4 * vocab, 5 * vocab), original, 1e-3f, "recomputed");
            assertThrows(IllegalArgumentException.class, () -> session.copySlots(new int[] {1, 3}, new int[] {3, 4}));
        }
    }

    /** Greedy from scratch: logits_all over [start] + the tokens so far, every step. */
    private long[] recompute(TorchSeq2SeqSession session, long[] source, int vocab) {
        long[] decoder = {session.decoderStartTokenId()};
        long[] out = new long[steps];
        for (int s = 0; s < steps; s++) {
            float[] all = session.logitsAll(source, decoder);
            out[s] = TorchDecoderSessionTest.argmax(all, (decoder.length - 1) * vocab, vocab);
            decoder = Arrays.copyOf(decoder, decoder.length + 1);
            decoder[decoder.length - 1] = out[s];
        }
        return out;
    }

    private long[] ids(String text) {
        return model.tokenizer().encode(text, false).ids();
    }
}
