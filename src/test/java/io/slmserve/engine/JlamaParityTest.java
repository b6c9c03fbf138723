package io.slmserve.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.slmserve.core.DecoderSession;
import io.slmserve.core.DecoderSession.DecoderRow;
import io.slmserve.core.LoadedModel;
import io.slmserve.core.ModelSpec;
import io.slmserve.core.ModelTask;
import io.slmserve.testing.JlamaReference;
import io.slmserve.testing.Processes;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * slm-serve against an independent engine: a Hugging Face snapshot is converted by our tools and served by the
 * real DJL/libtorch decoder path (prefill, then greedy steps through the slot KV cache), and the same snapshot
 * runs in Jlama 0.8.4 (its own Java 21+ process, fp32 weights) on the same token ids. First-step logits must
 * agree within {@link #TOLERANCE} and the first {@link #STEPS} greedy tokens must be identical.
 *
 * <p>Tolerance: both engines compute in fp32 from the same fp32 weights; what differs is the order of the
 * additions (MKL's blocked GEMMs and libtorch's flash-attention kernel against Jlama's vector dot products and
 * its own attention loop). Each logit is a sum of a few hundred to a few thousand products through a few
 * layers, so rounding differences are of order sqrt(n) * 2^-24 of the terms: measured 3e-7 to 1.3e-6 of the
 * largest |logit| over the rows below. {@link #TOLERANCE} (1e-4 of the largest |logit|) leaves a hundredfold
 * margin for other shapes and thread counts, and is far below what a wrong model gives: zeroing qwen2-tiny's
 * q_proj biases alone moves Jlama's first-step logits by 2.7 against a largest |logit| of 11.8 (measured).
 *
 * <p>The random snapshots (written at test time) have every tensor drawn at a scale (std 0.4) where
 * attention is sharp and greedy decoding moves between many tokens, so that the tokens carry information.
 */
class JlamaParityTest {

    static final int STEPS = 20;
    static final double TOLERANCE = 1e-4;
    private static Path jdk;

    @BeforeAll
    static void findJdk() {
        jdk = JlamaReference.requiredJavaHome();
    }

    @Test
    void gpt2RandomWeights(@TempDir Path dir) throws Exception {
        Path snapshot = dir.resolve("snapshot");
        Processes.python("models/tools/hf_snapshot.py", "gpt2-random", "--out", snapshot, "--layers", 2,
                "--embd", 64, "--heads", 4, "--vocab", 320, "--std", 0.4);
        compare(snapshot, dir, 11);
    }

    @Test
    void nanoGptExportedBackToASnapshot(@TempDir Path dir) throws Exception {
        Path snapshot = dir.resolve("snapshot");
        Processes.python("models/tools/hf_snapshot.py", "gpt2-from-served", "--dir", "models/nano-gpt", "--out", snapshot);
        compare(snapshot, dir, 12);
    }

    @Test
    void llamaTiedEmbeddingsGroupedQueryAttention(@TempDir Path dir) throws Exception {
        compare(llamaFamilySnapshot("llama-tiny", dir), dir, 13);  // 4 query heads over 2 KV heads, tied
    }

    @Test
    void llamaUntiedEmbeddingsOneKvHead(@TempDir Path dir) throws Exception {
        compare(llamaFamilySnapshot("llama-tiny-untied", dir), dir, 14);  // lm_head of its own, 4 heads over 1
    }

    @Test
    void mistral(@TempDir Path dir) throws Exception {
        // sliding_window 96: prompt and greedy tokens (29 positions) stay inside it, as Jlama applies none
        compare(llamaFamilySnapshot("mistral-tiny", dir), dir, 15);
    }

    @Test
    void qwen2WithQkvBiases(@TempDir Path dir) throws Exception {
        compare(llamaFamilySnapshot("qwen2-tiny", dir), dir, 16);
    }

    /**
     * Gemma (1): (1 + weight) RMSNorm, embeddings times sqrt(hidden), GeGLU (gelu_pytorch_tanh), one KV head.
     * Jlama 0.8.4's Gemma config reads no head_dim (it takes hidden_size / num_heads) and its activation from
     * {@code hidden_act} (Hugging Face: {@code hidden_activation}); the shape has head_dim = 64 / 4 and both
     * fields, as real Gemma configs do. gemma-tiny's head_dim 32 != 64 / 4 is checked against Hugging Face's
     * formulas written out in models/tools/tests/llama_testkit.py (test_llama_convert.py).
     */
    @Test
    void gemma(@TempDir Path dir) throws Exception {
        compare(llamaFamilySnapshot("gemma-tiny-jlama", dir), dir, 18);
    }

    /**
     * Gemma-2, three layers: the post-attention and post-feedforward norms, attention-logit softcapping (after
     * the query scaling, as Hugging Face) and final-logit softcapping. Jlama 0.8.4 departs from Hugging Face's
     * modeling_gemma2.py in three details, so the shape is one where both compute the same thing: (1) it scales
     * queries by head_dim^-0.5 and ignores {@code query_pre_attn_scalar} (Hugging Face: the scalar^-0.5), so
     * the scalar equals head_dim, as in gemma-2-2b (256); (2) it applies no sliding window on the even layers, so
     * the window is gemma-2-2b's 4096, beyond the 29 positions here; (3) with head_dim != hidden / heads (32 on
     * gemma2-tiny: hidden 64, 4 heads) its first-step logits differ from Hugging Face's formulas by 12.7 against
     * a largest |logit| of 21.5 (measured), while ours match them, so head_dim = 16 here. gemma2-tiny (scalar
     * 24, window 8, head_dim 32) is checked against models/tools/tests/llama_testkit.py (test_llama_convert.py).
     *
     * <p>std 0.1, not 0.4: the post-norms bring every layer's output to unit scale while the embedding is scaled
     * by sqrt(64), so at 0.4 the tied head reads back the last token and greedy decoding repeats one token. The
     * caps are lowered from gemma-2-2b's 50 / 30 to 2 / 4 so that both bite at this scale: removing the final
     * cap moves the first-step logits by 3.2, the attention cap by 4.0, against a largest |logit| of 3.8
     * (measured on this snapshot with llama_testkit's formulas, another 9-token prompt).
     */
    @Test
    void gemma2Softcapping(@TempDir Path dir) throws Exception {
        compare(llamaFamilySnapshot("gemma2-tiny-jlama", dir, 0.1), dir, 19);
    }

    @Test
    void nanoLlamaExportedBackToASnapshot(@TempDir Path dir) throws Exception {
        Path snapshot = dir.resolve("snapshot");
        Processes.python("models/tools/families/llama_family.py", "export-hf", "models/nano-llama", snapshot);
        compare(snapshot, dir, 17);
    }

    /** A random snapshot of one of slmtorch.random_snapshot's tiny shapes (std 0.4, see the class comment). */
    private static Path llamaFamilySnapshot(String shape, Path dir) throws Exception {
        return llamaFamilySnapshot(shape, dir, 0.4);
    }

    private static Path llamaFamilySnapshot(String shape, Path dir, double std) throws Exception {
        Path snapshot = dir.resolve("snapshot");
        Processes.python("models/tools/slmtorch/random_snapshot.py", "--shape", shape, "--out", snapshot, "--std", std);
        return snapshot;
    }

    /**
     * Converts the snapshot with models/tools/convert.py into dir/served, then ours (the served folder through
     * TorchDecoderLoader) against Jlama (the snapshot) on one random prompt.
     */
    static void compare(Path snapshot, Path dir, long seed) throws Exception {
        Path served = dir.resolve("served");
        Processes.python("models/tools/convert.py", snapshot, served);
        ModelSpec spec = new ModelSpec("peer", served, ModelTask.TEXT_GENERATION, 2, Duration.ZERO, 4096, 8, 1, 1,
                32, Map.of(), 64);
        try (LoadedModel model = new TorchDecoderLoader(new HalfPrecisionEncoderTest.EngineDefaults()).load(spec)) {
            int vocab = model.decoder().info().vocabularySize();
            Random random = new Random(seed);
            long[] prompt = new long[9];
            for (int i = 0; i < prompt.length; i++) {
                prompt[i] = random.nextInt(vocab - 1);
            }
            float[] first;
            long[] tokens = new long[STEPS];
            try (DecoderSession session = model.decoder().openSession()) {
                float[] logits = session.forward(List.of(new DecoderRow(1, 0, prompt)));
                first = logits.clone();  // the session reuses its logits arrays from call to call
                for (int s = 0; s < STEPS; s++) {
                    tokens[s] = TorchDecoderSessionTest.argmax(logits, 0, vocab);
                    if (s + 1 < STEPS) {
                        logits = session.forward(List.of(new DecoderRow(1, prompt.length + s, new long[] {tokens[s]})));
                    }
                }
            }
            JlamaReference.Run jlama = JlamaReference.check(jdk, snapshot, prompt, STEPS);
            assertEquals(vocab, jlama.logits().length, "vocabulary");
            double scale = 0;
            double worst = 0;
            for (int v = 0; v < vocab; v++) {
                scale = Math.max(scale, Math.abs(jlama.logits()[v]));
                worst = Math.max(worst, Math.abs(jlama.logits()[v] - first[v]));
            }
            System.out.printf("jlama parity %s: first-step logits max |diff| %.3g (max |logit| %.3g), tokens %s%n",
                    snapshot, worst, scale, java.util.Arrays.toString(tokens));
            assertTrue(worst <= TOLERANCE * scale, "first-step logits differ by " + worst + " (max |logit| " + scale + ")");
            assertArrayEquals(jlama.tokens(), tokens, "greedy tokens, ours vs Jlama's");
        }
    }
}
