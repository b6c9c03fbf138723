package io.slmserve.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDList;
import ai.djl.repository.zoo.ZooModel;
import io.slmserve.core.Pooling;
import io.slmserve.testing.Vectors;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * slm.engine.fp16-weight-gemm: MiniLM's archive (matrices stored in fp16) packs all 36 linear layers for FBGEMM's
 * fp16-weight GEMM, and the packed forward gives the same embeddings as MKL's sgemm on the same float32 weights,
 * one text at a time and as a padded batch; archives in half precision or without the method are left alone.
 */
class Fp16WeightGemmTest {

    private static final Path MINILM = Path.of("models/all-minilm-l6-v2");
    private static final List<String> TEXTS = List.of("The quick brown fox jumps over the lazy dog.",
            "A man is eating food.", "東京は日本の首都です。", "I am so happy 😀 today!",
            "Deep learning is a subset of machine learning based on neural networks, with many layers of"
                    + " representation learned from data rather than written by hand.");

    @Test
    void packedLayersGiveTheSgemmEmbeddings() throws Exception {
        List<long[]> rows = new ArrayList<>();
        try (HfTextTokenizer tokenizer = new HfTextTokenizer(MINILM.resolve("tokenizer.json"), 256, 30522, "[MASK]")) {
            for (String text : TEXTS) {
                rows.add(tokenizer.encode(text, true).ids());
            }
        }
        try (ZooModel<NDList, NDList> sgemm = TorchScriptLoader.load(MINILM, "model.pt", "float32", Device.cpu());
                ZooModel<NDList, NDList> packed = TorchScriptLoader.load(MINILM, "model.pt", "float32", Device.cpu())) {
            assertEquals(36, TorchScriptLoader.packFp16Weights(packed, "float32", Device.cpu()));
            float[][] batchA = embed(sgemm, rows);
            float[][] batchB = embed(packed, rows);
            for (int i = 0; i < rows.size(); i++) {
                float[] a = embed(sgemm, List.of(rows.get(i)))[0];
                float[] b = embed(packed, List.of(rows.get(i)))[0];
                assertClose(a, b, TEXTS.get(i));
                assertClose(batchA[i], batchB[i], "batched " + TEXTS.get(i));
                assertClose(b, batchB[i], "packed alone vs batched " + TEXTS.get(i));
            }
        }
    }

    @Test
    void halfPrecisionAndOlderArchivesAreNotPacked() throws Exception {
        try (ZooModel<NDList, NDList> half = TorchScriptLoader.load(MINILM, "model.pt", "float16", Device.cpu());
                ZooModel<NDList, NDList> older = TorchScriptLoader.load(Path.of("models/nano-bert-mlm"), "model.pt",
                        "float32", Device.cpu())) {
            assertEquals(0, TorchScriptLoader.packFp16Weights(half, "float16", Device.cpu()));
            assertEquals(0, TorchScriptLoader.packFp16Weights(older, "float32", Device.cpu()));
        }
    }

    private static float[][] embed(ZooModel<NDList, NDList> model, List<long[]> rows) {
        try (TorchEncoderSession session = new TorchEncoderSession(model, 1, Pooling.MEAN)) {
            return session.embed(rows);
        }
    }

    /** Same weights, fp32 accumulation either way: only the summation order differs. */
    private static void assertClose(float[] a, float[] b, String what) {
        double cos = Vectors.cosine(a, b);
        double maxDiff = Vectors.maxAbsDiff(a, b);
        assertTrue(cos > 0.9999999, "cosine " + cos + " for " + what);
        assertTrue(maxDiff < 1e-4, "max abs diff " + maxDiff + " for " + what);
    }
}
