package io.slmserve.engine;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.slmserve.config.ServerConfig;
import io.slmserve.core.EncoderSession;
import io.slmserve.core.LoadedModel;
import io.slmserve.core.ModelSpec;
import io.slmserve.core.ModelTask;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The archive's cast(dtype) method on CPU: fp16 keeps MiniLM within cosine 0.9999 of fp32, bf16 within 0.999. */
class HalfPrecisionEncoderTest {

    private static final List<String> TEXTS = List.of("The quick brown fox jumps over the lazy dog.",
            "A man is eating food.", "東京は日本の首都です。", "I am so happy 😀 today!",
            "Deep learning is a subset of machine learning based on neural networks.");

    @Test
    void halfPrecisionEmbeddingsStayCloseToFloat32() throws Exception {
        float[][] fp32 = embed("float32");
        float[][] fp16 = embed("fp16");
        float[][] bf16 = embed("bf16");
        for (int i = 0; i < TEXTS.size(); i++) {
            double cos = io.slmserve.testing.Vectors.cosine(fp32[i], bf16[i]);
            System.out.printf("bf16 vs fp32 cosine %.7f%n", cos);
            assertTrue(cos >= 0.999, "bf16 cosine " + cos);
        }
        for (int i = 0; i < TEXTS.size(); i++) {
            double cos = io.slmserve.testing.Vectors.cosine(fp32[i], fp16[i]);
            System.out.printf("fp16 vs fp32 cosine %.7f for %s%n", cos, TEXTS.get(i));
            assertTrue(cos >= 0.9999, "cosine " + cos + " for " + TEXTS.get(i));
        }
    }

    private static float[][] embed(String dtype) throws Exception {
        ModelSpec spec = new ModelSpec("all-minilm-l6-v2", Path.of("models/all-minilm-l6-v2"), ModelTask.TEXT_EMBEDDING,
                8, Duration.ZERO, 8 * 256, 4, 1, 1, 256, Map.of("dtype", dtype));
        try (LoadedModel model = new TorchScriptBackendFactory(new EngineDefaults()).load(spec);
                EncoderSession session = model.encoder().openSession()) {
            List<long[]> rows = TEXTS.stream().map(t -> model.tokenizer().encode(t, true).ids()).toList();
            return session.embed(rows);
        }
    }

    /** The engine defaults of ServerConfig, without Quarkus. */
    static class EngineDefaults implements ServerConfig.Engine {
        @Override
        public int intraOpThreads() {
            return 1;
        }

        @Override
        public int soloIntraOpThreads() {
            return 0;
        }

        @Override
        public int soloMinTokens() {
            return 64;
        }

        @Override
        public boolean fp16WeightGemm() {
            return true;
        }

        @Override
        public boolean packCpuWeights() {
            return true;
        }

        @Override
        public boolean packTiedHead() {
            return true;
        }

        @Override
        public boolean fusedKernels() {
            return true;
        }

        @Override
        public boolean hugePages() {
            return true;
        }

        @Override
        public int interOpThreads() {
            return 1;
        }

        @Override
        public String device() {
            return "cpu";
        }

        @Override
        public String dtype() {
            return "float32";
        }

        @Override
        public boolean requireGpu() {
            return false;
        }

        @Override
        public boolean graphOptimizer() {
            return false;
        }
    }
}
