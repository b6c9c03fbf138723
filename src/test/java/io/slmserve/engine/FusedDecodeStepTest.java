package io.slmserve.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.slmserve.config.ServerConfig;
import io.slmserve.core.DecoderSession;
import io.slmserve.core.DecoderSession.DecoderRow;
import io.slmserve.core.LoadedModel;
import io.slmserve.core.ModelSpec;
import io.slmserve.core.ModelTask;
import io.slmserve.testing.GptFolder;
import io.slmserve.testing.Processes;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * The fused decode ops (slm::attend_decode, rms_norm, silu_mul; src/main/native) inside real archives under
 * continuous batching: nano-llama and nano-gpt re-scripted with the current converter (``upgrade``), three
 * sequences of different lengths prefilled alone, then decoded together in one call per step with their slots out
 * of order (so the rows are neither consecutive nor at one position). Each row's logits must equal those of
 * logits_all over its whole sequence (the full-sequence TorchScript pass, which never calls the fused ops), and
 * each row's greedy tokens must equal those recomputed from scratch. With slm.engine.fused-kernels=false the same
 * archive runs its TorchScript forms, to the same result.
 */
class FusedDecodeStepTest {

    private static final int STEPS = 12;

    @Test
    void nanoLlamaRowsDecodedTogetherMatchTheFullSequencePass() throws Exception {
        check(upgradedNanoLlama());
    }

    @Test
    void withFusedKernelsOffTheSameArchiveRunsItsTorchScriptFormsAlike() throws Exception {
        check(upgradedNanoLlama(), new HalfPrecisionEncoderTest.EngineDefaults() {
            @Override
            public boolean fusedKernels() {
                return false;  // slm.engine.fused-kernels=false
            }
        });
    }

    @Test
    void nanoGptRowsDecodedTogetherMatchTheFullSequencePass() throws Exception {
        Assumptions.assumeTrue(GptFolder.trained(), "needs the trained nano-gpt");
        Path dir = PackCpuWeightsTest.copy("nano-gpt");
        Processes.python("models/tools/convert_gpt2.py", "upgrade", "--dir", dir.toString());
        check(dir);
    }

    /** models/nano-llama copied and re-scripted with the current converter (its archive then calls the ops). */
    private static Path upgradedNanoLlama() throws Exception {
        Assumptions.assumeTrue(Files.isRegularFile(Path.of("models/nano-llama/model.pt")), "needs models/nano-llama");
        Path dir = PackCpuWeightsTest.copy("nano-llama");
        Processes.python("models/tools/families/llama_family.py", "upgrade", dir.toString());
        return dir;
    }

    private static void check(Path dir) throws Exception {
        check(dir, new HalfPrecisionEncoderTest.EngineDefaults());
    }

    private static void check(Path dir, ServerConfig.Engine engine) throws Exception {
        assertTrue(scriptedCode(dir.resolve("model.pt")).contains("ops.slm.attend_decode"),
                "the re-scripted archive calls the fused op");
        ModelSpec spec = new ModelSpec(dir.getFileName().toString(), dir, ModelTask.TEXT_GENERATION, 4, Duration.ZERO,
                4096, 4, 1, 1, 64, Map.of(), 128);
        try (LoadedModel model = new TorchDecoderLoader(engine).load(spec);
             DecoderSession session = model.decoder().openSession()) {
            int vocab = model.decoder().info().vocabularySize();
            int[] slots = {2, 0, 3};
            List<List<Long>> seqs = new ArrayList<>();
            float[][] last = new float[3][];
            for (int r = 0; r < 3; r++) {
                long[] prompt = new long[5 + 4 * r];
                for (int i = 0; i < prompt.length; i++) {
                    prompt[i] = 100 + 37L * (i + r) % (vocab - 200);
                }
                seqs.add(new ArrayList<>(Arrays.stream(prompt).boxed().toList()));
                last[r] = session.forward(List.of(new DecoderRow(slots[r], 0, prompt)));
            }
            double worst = 0;
            for (int step = 0; step < STEPS; step++) {
                List<DecoderRow> rows = new ArrayList<>();
                for (int r = 0; r < 3; r++) {
                    long next = TorchDecoderSessionTest.argmax(last[r], 0, vocab);
                    rows.add(new DecoderRow(slots[r], seqs.get(r).size(), new long[] {next}));
                    seqs.get(r).add(next);
                }
                float[] logits = session.forward(rows);
                for (int r = 0; r < 3; r++) {
                    last[r] = Arrays.copyOfRange(logits, r * vocab, (r + 1) * vocab);
                    long[] seq = seqs.get(r).stream().mapToLong(Long::longValue).toArray();
                    float[] all = session.logitsAll(seq);
                    float[] want = Arrays.copyOfRange(all, (seq.length - 1) * vocab, seq.length * vocab);
                    worst = Math.max(worst, LoraSessionTest.maxAbsDiff(last[r], want));
                    assertEquals(TorchDecoderSessionTest.argmax(want, 0, vocab),
                            TorchDecoderSessionTest.argmax(last[r], 0, vocab),
                            dir.getFileName() + " row " + r + " step " + step + ": greedy token vs logits_all");
                }
            }
            System.out.printf("%s: 3 rows x %d fused steps, max |logit - logits_all| %.2e%n", dir.getFileName(),
                    STEPS, worst);
            assertTrue(worst < 1e-4, "fused step logits differ from logits_all by " + worst);
        }
    }

    /** The TorchScript source files inside an archive (a zip), concatenated. */
    private static String scriptedCode(Path archive) throws Exception {
        StringBuilder code = new StringBuilder();
        try (ZipFile zip = new ZipFile(archive.toFile())) {
            for (ZipEntry e : zip.stream().filter(e -> e.getName().endsWith(".py")).toList()) {
                code.append(new String(zip.getInputStream(e).readAllBytes(), StandardCharsets.UTF_8));
            }
        }
        return code.toString();
    }
}
