package io.slmserve.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.slmserve.core.EncoderSession;
import io.slmserve.core.LoadedModel;
import io.slmserve.core.ModelLoadException;
import io.slmserve.core.ModelSpec;
import io.slmserve.core.ModelTask;
import io.slmserve.core.Pooling;
import io.slmserve.testing.EncoderFixtures;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Pooling as the folder declares it: one random BERT's weights in a CLS-pooled and a mean-pooled folder give
 * the vectors their pooling defines, checked against a computation here from the same archive's token states;
 * option.pooling overrides the files; TEI's default (CLS) applies when nothing is declared; a pooling file
 * with an unknown mode or the wrong dimension fails the load with its reason.
 */
class EncoderPoolingTest {

    private static final List<String> TEXTS = List.of("In the beginning God created the heaven and the earth.",
            "And God said, Let there be light.", "Jesus wept.");

    @Test
    void clsAndMeanFoldersOfTheSameWeightsPoolAsDeclared(@TempDir Path tmp) throws Exception {
        Path cls = EncoderFixtures.dir("bert-cls").resolve("served");
        Path mean = EncoderFixtures.copyServed("bert-cls", tmp.resolve("mean"));
        Files.writeString(mean.resolve("1_Pooling/config.json"), Files.readString(mean.resolve("1_Pooling/config.json"))
                .replace("\"pooling_mode_cls_token\": true", "\"pooling_mode_cls_token\": false")
                .replace("\"pooling_mode_mean_tokens\": false", "\"pooling_mode_mean_tokens\": true"));
        Pooled a = embed(cls, Map.of());
        Pooled b = embed(mean, Map.of());
        assertEquals(Pooling.CLS, a.pooling);
        assertEquals(Pooling.MEAN, b.pooling);
        assertEquals("1_Pooling/config.json", b.source);
        for (int r = 0; r < TEXTS.size(); r++) {
            float[][] states = a.tokens.get(r);
            assertClose(states[0], a.vectors[r], "CLS row " + r);
            assertClose(reduce(states, Pooling.MEAN), b.vectors[r], "mean row " + r);
            assertTrue(maxDiff(a.vectors[r], b.vectors[r]) > 1e-2, "the two poolings differ");
        }
        Pooled max = embed(mean, Map.of("pooling", "max"));
        Pooled last = embed(mean, Map.of("pooling", "lasttoken"));
        assertEquals("serving.properties option.pooling", max.source);
        for (int r = 0; r < TEXTS.size(); r++) {
            assertClose(reduce(a.tokens.get(r), Pooling.MAX), max.vectors[r], "max row " + r);
            assertClose(reduce(a.tokens.get(r), Pooling.LAST_TOKEN), last.vectors[r], "last-token row " + r);
        }
    }

    @Test
    void aBertFolderWithoutPoolingFilesGetsTeisDefaultCls() throws Exception {
        Pooled plain = embed(EncoderFixtures.dir("bert-plain").resolve("served"), Map.of());
        assertEquals(Pooling.CLS, plain.pooling);
        assertTrue(plain.source.startsWith("default"), plain.source);
        assertTrue(plain.normalize, "no modules.json: vectors are normalised, as before");
    }

    @Test
    void anUnsupportedModeOrAWrongDimensionFailsTheLoad(@TempDir Path tmp) throws Exception {
        Path weighted = EncoderFixtures.copyServed("bert-cls", tmp.resolve("weighted"));
        Files.writeString(weighted.resolve("1_Pooling/config.json"),
                "{\"word_embedding_dimension\": 32, \"pooling_mode_weightedmean_tokens\": true}");
        ModelLoadException e = assertThrows(ModelLoadException.class, () -> embed(weighted, Map.of()));
        assertTrue(e.getMessage().contains("unsupported pooling mode pooling_mode_weightedmean_tokens"), e.getMessage());

        Path wide = EncoderFixtures.copyServed("bert-cls", tmp.resolve("wide"));
        Files.writeString(wide.resolve("1_Pooling/config.json"),
                "{\"word_embedding_dimension\": 768, \"pooling_mode_cls_token\": true}");
        e = assertThrows(ModelLoadException.class, () -> embed(wide, Map.of()));
        assertTrue(e.getMessage().contains("word_embedding_dimension 768 but model.pt returns hidden size 32"),
                e.getMessage());

        e = assertThrows(ModelLoadException.class, () -> embed(wide, Map.of("pooling", "weighted")));
        assertTrue(e.getMessage().contains("option.pooling: unknown pooling 'weighted'"), e.getMessage());
    }

    record Pooled(Pooling pooling, String source, boolean normalize, float[][] vectors, List<float[][]> tokens) {
    }

    static Pooled embed(Path dir, Map<String, String> options) throws Exception {
        ModelSpec spec = new ModelSpec("fixture", dir, ModelTask.TEXT_EMBEDDING, 8, Duration.ZERO, 8 * 64, 4, 1, 1,
                60, options);
        try (LoadedModel model = new TorchScriptBackendFactory(new HalfPrecisionEncoderTest.EngineDefaults()).load(spec);
                EncoderSession session = model.encoder().openSession()) {
            List<long[]> rows = TEXTS.stream().map(t -> model.tokenizer().encode(t, true).ids()).toList();
            var setup = model.encoder().embedding();
            return new Pooled(setup.pooling(), setup.source(), setup.normalize(), session.embed(rows),
                    session.tokenEmbeddings(rows));
        }
    }

    /** The pooling formulas, written out over one row's real-token states. */
    static float[] reduce(float[][] states, Pooling pooling) {
        int h = states[0].length;
        float[] out = new float[h];
        for (int j = 0; j < h; j++) {
            double acc = pooling == Pooling.MAX ? Double.NEGATIVE_INFINITY : 0;
            for (float[] state : states) {
                acc = pooling == Pooling.MAX ? Math.max(acc, state[j]) : acc + state[j];
            }
            out[j] = switch (pooling) {
                case MEAN -> (float) (acc / states.length);
                case MAX -> (float) acc;
                case CLS -> states[0][j];
                case LAST_TOKEN -> states[states.length - 1][j];
            };
        }
        return out;
    }

    static void assertClose(float[] want, float[] got, String what) {
        assertEquals(want.length, got.length, what);
        assertTrue(maxDiff(want, got) < 1e-5, what + ": max difference " + maxDiff(want, got));
    }

    static double maxDiff(float[] a, float[] b) {
        double m = 0;
        for (int i = 0; i < a.length; i++) {
            m = Math.max(m, Math.abs(a[i] - b[i]));
        }
        return m;
    }
}
