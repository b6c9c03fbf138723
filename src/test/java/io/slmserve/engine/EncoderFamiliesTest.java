package io.slmserve.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.slmserve.core.EncoderSession;
import io.slmserve.core.LoadedModel;
import io.slmserve.core.ModelSpec;
import io.slmserve.core.ModelTask;
import io.slmserve.core.Pooling;
import io.slmserve.testing.EncoderFixtures;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * RoBERTa, XLM-RoBERTa and DistilBERT random-weight snapshots, converted by hf_bert.convert and served by the
 * engine (DJL, libtorch 2.7.1): token states and logits equal the eager Python reference module's within 1e-5
 * on a padded batch, and the one-label XLM-R classifier loads as a reranker.
 */
class EncoderFamiliesTest {

    @Test
    void robertaTokenStatesAndMeanPoolingEqualTheReference() throws Exception {
        Result r = run("roberta", ModelTask.TEXT_EMBEDDING);
        assertEquals(Pooling.MEAN, r.pooling);
        for (int row = 0; row < r.rows.size(); row++) {
            float[][] want = states(r.reference, row, r.rows.get(row).length);
            for (int t = 0; t < want.length; t++) {
                EncoderPoolingTest.assertClose(want[t], r.tokens.get(row)[t], "roberta row " + row + " token " + t);
            }
            EncoderPoolingTest.assertClose(EncoderPoolingTest.reduce(want, Pooling.MEAN), r.vectors[row],
                    "roberta mean row " + row);
        }
    }

    @Test
    void distilbertTokenStatesAndClsPoolingEqualTheReference() throws Exception {
        Result r = run("distilbert", ModelTask.TEXT_EMBEDDING);
        assertEquals(Pooling.CLS, r.pooling);
        for (int row = 0; row < r.rows.size(); row++) {
            float[][] want = states(r.reference, row, r.rows.get(row).length);
            for (int t = 0; t < want.length; t++) {
                EncoderPoolingTest.assertClose(want[t], r.tokens.get(row)[t], "distilbert row " + row + " token " + t);
            }
            EncoderPoolingTest.assertClose(want[0], r.vectors[row], "distilbert CLS row " + row);
        }
    }

    @Test
    void classifierLogitsEqualTheReference() throws Exception {
        for (String name : List.of("xlmr-rerank", "distilbert-cls3")) {
            ModelTask task = name.equals("xlmr-rerank") ? ModelTask.RERANK : ModelTask.TEXT_CLASSIFICATION;
            Result r = run(name, task);
            for (int row = 0; row < r.rows.size(); row++) {
                JsonNode want = r.reference.get("output").get(row);
                float[] expected = new float[want.size()];
                for (int j = 0; j < expected.length; j++) {
                    expected[j] = (float) want.get(j).asDouble();
                }
                EncoderPoolingTest.assertClose(expected, r.logits[row], name + " row " + row);
            }
            assertEquals(task == ModelTask.RERANK ? 1 : 3, r.logits[0].length);
        }
    }

    record Result(JsonNode reference, List<long[]> rows, Pooling pooling, float[][] vectors, List<float[][]> tokens,
                  float[][] logits) {
    }

    private static Result run(String name, ModelTask task) throws Exception {
        JsonNode ref = EncoderFixtures.reference(name);
        List<long[]> rows = new ArrayList<>();
        for (JsonNode row : ref.get("inputs")) {
            long[] ids = new long[row.size()];
            for (int i = 0; i < ids.length; i++) {
                ids[i] = row.get(i).asLong();
            }
            rows.add(ids);
        }
        assertEquals(task.id(), ref.get("task").asText());
        ModelSpec spec = new ModelSpec(name, EncoderFixtures.dir(name).resolve("served"), task, 8, Duration.ZERO, 512,
                4, 1, 1, 60, Map.of());
        try (LoadedModel model = new TorchScriptBackendFactory(new HalfPrecisionEncoderTest.EngineDefaults()).load(spec);
                EncoderSession session = model.encoder().openSession()) {
            if (task == ModelTask.TEXT_EMBEDDING) {
                return new Result(ref, rows, model.encoder().embedding().pooling(), session.embed(rows),
                        session.tokenEmbeddings(rows), null);
            }
            float[][] logits = session.classify(rows);
            assertTrue(logits.length == rows.size());
            return new Result(ref, rows, null, null, null, logits);
        }
    }

    private static float[][] states(JsonNode ref, int row, int length) {
        JsonNode r = ref.get("output").get(row);
        float[][] out = new float[length][];
        for (int t = 0; t < length; t++) {
            JsonNode v = r.get(t);
            out[t] = new float[v.size()];
            for (int j = 0; j < v.size(); j++) {
                out[t][j] = (float) v.get(j).asDouble();
            }
        }
        return out;
    }
}
