package io.slmserve.engine;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.slmserve.core.DecoderSession;
import io.slmserve.core.DecoderSession.DecoderRow;
import io.slmserve.core.LoadedModel;
import io.slmserve.core.ModelSpec;
import io.slmserve.core.ModelTask;
import io.slmserve.testing.GptFolder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * nano-gpt's and nano-llama's held-out perplexity measured through the serving engine (the KV cache, one forward per token, and
 * logits_all) agrees with the model card's Python figure and is far below the card's unigram baseline.
 */
class HeldoutPerplexityTest {

    private static final int MAX_IDS = 512;

    @Test
    void heldoutPerplexityThroughTheEngineMatchesTheModelCard() throws Exception {
        Assumptions.assumeTrue(GptFolder.trained(), "needs the trained nano-gpt (heldout.txt)");
        check("nano-gpt", GptFolder.dir(), 3);
    }

    /**
     * nano-llama (GQA, rotary, SwiGLU, RMSNorm) on the same held-out text, same procedure, its own card; trained on
     * nano-gpt's data for nano-gpt's step counts with a parameter count within 0.2%, it must do at least as well.
     */
    @Test
    void nanoLlamaHeldoutPerplexityMatchesItsModelCardAndIsAtMostNanoGpts() throws Exception {
        Path dir = Path.of("models/nano-llama").toAbsolutePath();
        Assumptions.assumeTrue(Files.isRegularFile(dir.resolve("heldout.txt")), "needs models/nano-llama");
        Assumptions.assumeTrue(GptFolder.trained(), "needs the trained nano-gpt (heldout.txt)");
        double llama = check("nano-llama", dir, 3);
        double gpt = check("nano-gpt", GptFolder.dir(), 3);
        assertTrue(llama <= gpt, "nano-llama " + llama + " vs nano-gpt " + gpt);
    }

    /** The held-out perplexity through the KV cache, after checking it against logits_all and the card. */
    private static double check(String id, Path dir, double belowUnigram) throws Exception {
        String readme = Files.readString(dir.resolve("README.md"));
        double unigram = number(readme, "(?i)unigram[^\\n]*?([0-9][0-9,]*\\.?[0-9]*)");
        double python = number(readme, "(?i)python measured \\**([0-9]+\\.?[0-9]*)");
        ModelSpec spec = new ModelSpec(id, dir, ModelTask.TEXT_GENERATION, 1, Duration.ZERO, 4096, 1, 1, 1,
                MAX_IDS - 1, Map.of(), MAX_IDS);
        try (LoadedModel model = new TorchDecoderLoader(new HalfPrecisionEncoderTest.EngineDefaults()).load(spec);
             DecoderSession session = model.decoder().openSession()) {
            int vocab = model.decoder().info().vocabularySize();
            long[] text = model.tokenizer().encode(Files.readString(dir.resolve("heldout.txt")), true).ids();
            int n = Math.min(MAX_IDS, text.length + 1);
            long[] ids = new long[n];
            ids[0] = model.decoder().info().eosTokenId();
            System.arraycopy(text, 0, ids, 1, n - 1);

            double cachedNll = 0;
            float[] logits = session.forward(List.of(new DecoderRow(0, 0, new long[] {ids[0]})));
            for (int i = 1; i < n; i++) {
                cachedNll += nll(logits, 0, vocab, ids[i]);
                if (i < n - 1) {
                    logits = session.forward(List.of(new DecoderRow(0, i, new long[] {ids[i]})));
                }
            }
            double cached = Math.exp(cachedNll / (n - 1));

            float[] all = session.logitsAll(ids);
            double allNll = 0;
            for (int i = 1; i < n; i++) {
                allNll += nll(all, (i - 1) * vocab, vocab, ids[i]);
            }
            double full = Math.exp(allNll / (n - 1));

            System.out.printf(id + " held-out perplexity through the engine: cache %.4f, logits_all %.4f, model card "
                    + "(Python) %.2f, unigram %.1f (%d tokens scored)%n", cached, full, python, unigram, n - 1);
            assertTrue(Math.abs(cached - full) / full < 1e-3, "cache " + cached + " vs logits_all " + full);
            assertTrue(cached < unigram / belowUnigram, "perplexity " + cached + " vs the unigram " + unigram);
            assertTrue(Math.abs(cached - python) / python < 0.005, "engine " + cached + " vs Python " + python);
            return cached;
        }
    }

    /** -log softmax(logits[offset .. offset + vocab))[target], in double. */
    static double nll(float[] logits, int offset, int vocab, long target) {
        double max = Double.NEGATIVE_INFINITY;
        for (int v = 0; v < vocab; v++) {
            max = Math.max(max, logits[offset + v]);
        }
        double sum = 0;
        for (int v = 0; v < vocab; v++) {
            sum += Math.exp(logits[offset + v] - max);
        }
        return max + Math.log(sum) - logits[offset + (int) target];
    }

    private static double number(String text, String regex) {
        Matcher m = Pattern.compile(regex).matcher(text);
        if (!m.find()) {
            throw new AssertionError("the model card states no unigram baseline (" + regex + ")");
        }
        return Double.parseDouble(m.group(1).replace(",", ""));
    }
}
