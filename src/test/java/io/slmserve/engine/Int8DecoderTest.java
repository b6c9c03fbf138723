package io.slmserve.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.slmserve.core.DecoderSession;
import io.slmserve.core.DecoderSession.DecoderRow;
import io.slmserve.core.LoadedModel;
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
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * nano-gpt and nano-llama with int8 linear layers (written at test time from models/nano-gpt by
 * ``convert_gpt2.py quantize`` and from models/nano-llama by ``families/llama_family.py quantize``, the converters'
 * --quantize int8 path) through the real engine, whose int8 products run in the C++ kernel slm::int8_linear
 * (src/main/native/int8_gemm.h, slmtorch/qlinear.py):
 * held-out perplexity with the KV cache within 2% of the fp32 archive's, the cache agreeing with a full recompute
 * (logits_all) as closely as fp32's does (activations are rounded per row, so a row's result does not depend on
 * the rows computed beside it), greedy decoding with the cache equal to greedy recomputed from scratch, and greedy
 * continuations agreeing with fp32's for a while.
 */
class Int8DecoderTest {

    private static final int MAX_IDS = 256;
    private static final int GREEDY = 48;

    @Test
    void nanoGptInt8PerplexityIsWithinTwoPercentOfFp32AndTheCacheEqualsRecompute() throws Exception {
        Assumptions.assumeTrue(GptFolder.trained(), "needs the trained nano-gpt (heldout.txt)");
        Path fp32 = GptFolder.dir();
        Path int8 = Files.createTempDirectory("slm-int8-").resolve("nano-gpt-int8");
        Processes.python("models/tools/convert_gpt2.py", "quantize", "--dir", fp32.toString(), "--out", int8.toString());
        check("nano-gpt", fp32, int8);
    }

    @Test
    void nanoLlamaInt8PerplexityIsWithinTwoPercentOfFp32AndTheCacheEqualsRecompute() throws Exception {
        Path fp32 = Path.of("models/nano-llama").toAbsolutePath();
        Assumptions.assumeTrue(Files.isRegularFile(fp32.resolve("heldout.txt")), "needs models/nano-llama");
        Path int8 = Files.createTempDirectory("slm-int8-").resolve("nano-llama-int8");
        Processes.python("models/tools/families/llama_family.py", "quantize", fp32.toString(), int8.toString());
        check("nano-llama", fp32, int8);
    }


    private static void check(String id, Path fp32, Path int8) throws Exception {
        try (LoadedModel ref = load(fp32); LoadedModel quant = load(int8)) {
            long[] ids = heldout(ref, fp32);
            double[] p = perplexities(ref, ids);
            double[] q = perplexities(quant, ids);
            System.out.printf("%s held-out perplexity (%d tokens): fp32 cache %.4f / logits_all %.4f; int8 cache "
                    + "%.4f / logits_all %.4f (%+.2f%%)%n", id, ids.length - 1, p[0], p[1], q[0], q[1],
                    100 * (q[0] / p[0] - 1));
            assertTrue(Math.abs(q[0] / p[0] - 1) < 0.02, "int8 " + q[0] + " vs fp32 " + p[0]);
            assertTrue(Math.abs(q[0] / q[1] - 1) < 1e-3, "int8 cache " + q[0] + " vs logits_all " + q[1]);
            assertTrue(Math.abs(p[0] / p[1] - 1) < 1e-3, "fp32 cache " + p[0] + " vs logits_all " + p[1]);

            List<Long> a = greedy(ref, ids, GREEDY);
            List<Long> b = greedy(quant, ids, GREEDY);
            assertEquals(b, greedyRecompute(quant, ids, GREEDY), id + " int8: greedy with the cache vs recomputed");
            int same = 0;
            while (same < a.size() && a.get(same).equals(b.get(same))) {
                same++;
            }
            System.out.printf("%s greedy continuation: int8 equals fp32 for the first %d of %d tokens%n", id, same,
                    a.size());
            assertTrue(same >= 8, id + " int8 greedy diverges from fp32 after " + same + " tokens");
        }
    }

    static long[] heldout(LoadedModel model, Path dir) throws Exception {
        long[] text = model.tokenizer().encode(Files.readString(dir.resolve("heldout.txt")), true).ids();
        int n = Math.min(MAX_IDS, text.length + 1);
        long[] ids = new long[n];
        ids[0] = model.decoder().info().eosTokenId();
        System.arraycopy(text, 0, ids, 1, n - 1);
        return ids;
    }

    /** {cache perplexity, logits_all perplexity} over ids. */
    static double[] perplexities(LoadedModel model, long[] ids) throws Exception {
        try (DecoderSession session = model.decoder().openSession()) {
            int vocab = model.decoder().info().vocabularySize();
            double cachedNll = 0;
            float[] logits = session.forward(List.of(new DecoderRow(0, 0, new long[] {ids[0]})));
            for (int i = 1; i < ids.length; i++) {
                cachedNll += HeldoutPerplexityTest.nll(logits, 0, vocab, ids[i]);
                if (i < ids.length - 1) {
                    logits = session.forward(List.of(new DecoderRow(0, i, new long[] {ids[i]})));
                }
            }
            float[] all = session.logitsAll(ids);
            double allNll = 0;
            for (int i = 1; i < ids.length; i++) {
                allNll += HeldoutPerplexityTest.nll(all, (i - 1) * vocab, vocab, ids[i]);
            }
            return new double[] {Math.exp(cachedNll / (ids.length - 1)), Math.exp(allNll / (ids.length - 1))};
        }
    }

    /** Greedy tokens after the first 16 held-out ids (one prefill, then one-token steps). */
    static List<Long> greedy(LoadedModel model, long[] ids, int tokens) throws Exception {
        try (DecoderSession session = model.decoder().openSession()) {
            int vocab = model.decoder().info().vocabularySize();
            long[] prompt = Arrays.copyOf(ids, 16);
            float[] logits = session.forward(List.of(new DecoderRow(0, 0, prompt)));
            List<Long> out = new ArrayList<>();
            for (int i = 0; i < tokens; i++) {
                long next = argmax(logits, vocab);
                out.add(next);
                logits = session.forward(List.of(new DecoderRow(0, prompt.length + i, new long[] {next})));
            }
            return out;
        }
    }

    /** The same greedy tokens with no cache: logits_all over the prompt and every token chosen so far. */
    static List<Long> greedyRecompute(LoadedModel model, long[] ids, int tokens) throws Exception {
        try (DecoderSession session = model.decoder().openSession()) {
            int vocab = model.decoder().info().vocabularySize();
            long[] seq = Arrays.copyOf(ids, 16);
            List<Long> out = new ArrayList<>();
            for (int i = 0; i < tokens; i++) {
                float[] all = session.logitsAll(seq);
                long next = argmax(Arrays.copyOfRange(all, (seq.length - 1) * vocab, seq.length * vocab),
                        vocab);
                out.add(next);
                seq = Arrays.copyOf(seq, seq.length + 1);
                seq[seq.length - 1] = next;
            }
            return out;
        }
    }

    static LoadedModel load(Path dir) throws Exception {
        return load(dir, Map.of());
    }

    static LoadedModel load(Path dir, Map<String, String> options) throws Exception {
        ModelSpec spec = new ModelSpec(dir.getFileName().toString(), dir, ModelTask.TEXT_GENERATION, 1, Duration.ZERO,
                4096, 1, 1, 1, MAX_IDS + 63, options, MAX_IDS + 64);
        return new TorchDecoderLoader(new HalfPrecisionEncoderTest.EngineDefaults()).load(spec);
    }

    static long argmax(float[] logits, int vocab) {
        int best = 0;
        for (int v = 1; v < vocab; v++) {
            if (logits[v] > logits[best]) {
                best = v;
            }
        }
        return best;
    }
}
