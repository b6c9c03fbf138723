package io.slmserve.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.slmserve.core.EncoderSession;
import io.slmserve.core.LoadedModel;
import io.slmserve.core.ModelSpec;
import io.slmserve.core.ModelTask;
import io.slmserve.testing.OnnxMiniLmOracle;
import io.slmserve.testing.ParityInputs;
import io.slmserve.testing.Processes;
import io.slmserve.testing.Vectors;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * all-MiniLM-L6-v2 with int8 weights (written at test time from models/all-minilm-l6-v2 by
 * {@code models/tools/encoder_int8.py}, the encoders' --quantize int8 path: int8 matrices with a scale per 32
 * inputs and an int8 word-embedding table, dequantized by the archive's cast at load) through the real engine,
 * against ONNX Runtime running the original fp32 ONNX file on the same token ids: every parity input
 * (ParityInputs, the over-long ones truncated to 256 tokens), embedded in padded batches of 8, within cosine
 * 0.999; and the archive is under 55% of the fp16-stored one's bytes (a quarter of fp32's).
 */
class Int8EncoderTest {

    private static final Path FP16_STORED = Path.of("models/all-minilm-l6-v2");

    @Test
    void int8MiniLmEmbeddingsStayWithinCosine0999OfOnnxRuntime(@TempDir Path tmp) throws Exception {
        Path int8 = tmp.resolve("all-minilm-l6-v2-int8");
        Processes.python("models/tools/encoder_int8.py", FP16_STORED.toAbsolutePath().toString(), int8.toString());
        long bytes = Files.size(int8.resolve("model.pt"));
        assertTrue(bytes < 0.55 * Files.size(FP16_STORED.resolve("model.pt")), "int8 model.pt " + bytes + " bytes");

        List<String> texts = new ArrayList<>(ParityInputs.normal());
        texts.addAll(ParityInputs.overLong());
        double worst = 1;
        String worstText = null;
        try (OnnxMiniLmOracle oracle = new OnnxMiniLmOracle(); LoadedModel model = load(int8);
                EncoderSession session = model.encoder().openSession()) {
            List<long[]> rows = texts.stream().map(t -> model.tokenizer().encode(t, true).ids()).toList();
            for (int from = 0; from < rows.size(); from += 8) {
                List<long[]> batch = rows.subList(from, Math.min(rows.size(), from + 8));
                float[][] got = session.embed(batch);
                assertEquals(batch.size(), got.length);
                for (int i = 0; i < batch.size(); i++) {
                    double cos = Vectors.cosine(got[i], oracle.embed(batch.get(i)));
                    if (cos < worst) {
                        worst = cos;
                        worstText = texts.get(from + i);
                    }
                }
            }
        }
        System.out.printf("int8 all-MiniLM-L6-v2 (%.1f MB): %d inputs, min cosine vs ONNX Runtime %.6f (%.40s)%n",
                bytes / 1e6, texts.size(), worst, worstText);
        assertTrue(worst >= 0.999, "min cosine " + worst + " for input: " + worstText);
    }

    private static LoadedModel load(Path dir) throws Exception {
        ModelSpec spec = new ModelSpec("all-minilm-l6-v2-int8", dir, ModelTask.TEXT_EMBEDDING, 8, Duration.ZERO,
                8 * 256, 4, 1, 1, 256, Map.of());
        return new TorchScriptBackendFactory(new HalfPrecisionEncoderTest.EngineDefaults()).load(spec);
    }

}
