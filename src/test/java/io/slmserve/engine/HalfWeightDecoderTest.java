package io.slmserve.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.slmserve.core.LoadedModel;
import io.slmserve.testing.GptFolder;
import io.slmserve.testing.Processes;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * nano-gpt and nano-llama with bf16 and fp16 linear layers and LM head (written at test time by
 * ``convert_gpt2.py quantize --kind`` and ``families/llama_family.py quantize --kind``, the converters'
 * --quantize bf16|fp16 path) through the real engine, whose products run in the C++ kernel slm::half_linear
 * (src/main/native/half_gemm.h, slmtorch/halflinear.py): held-out perplexity with the KV cache within 0.5% (bf16)
 * and 0.05% (fp16) of the fp32 archive's, the cache agreeing with a full recompute (logits_all) as fp32's does,
 * greedy decoding with the cache equal to greedy recomputed from scratch, and greedy continuations agreeing with
 * fp32's for a while. The helpers are Int8DecoderTest's.
 */
class HalfWeightDecoderTest {

    private static final int GREEDY = 48;

    @Test
    void nanoGptBf16AndFp16StayNearFp32AndTheCacheEqualsRecompute() throws Exception {
        Assumptions.assumeTrue(GptFolder.trained(), "needs the trained nano-gpt (heldout.txt)");
        Path fp32 = GptFolder.dir();
        Path tmp = Files.createTempDirectory("slm-half-");
        for (String kind : List.of("bf16", "fp16")) {
            Path dir = tmp.resolve("nano-gpt-" + kind);
            Processes.python("models/tools/convert_gpt2.py", "quantize", "--dir", fp32.toString(), "--out",
                    dir.toString(), "--kind", kind);
            check("nano-gpt", kind, fp32, dir, Map.of());
        }
    }

    @Test
    void nanoLlamaBf16AndFp16StayNearFp32AndTheCacheEqualsRecompute() throws Exception {
        Path fp32 = Path.of("models/nano-llama").toAbsolutePath();
        Assumptions.assumeTrue(Files.isRegularFile(fp32.resolve("heldout.txt")), "needs models/nano-llama");
        Path tmp = Files.createTempDirectory("slm-half-");
        for (String kind : List.of("bf16", "fp16")) {
            Path dir = tmp.resolve("nano-llama-" + kind);
            Processes.python("models/tools/families/llama_family.py", "quantize", fp32.toString(), dir.toString(),
                    "--kind", kind);
            check("nano-llama", kind, fp32, dir, Map.of());
        }
    }

    /**
     * option.dtype=bf16 on the CPU for a float archive: the engine casts it to float32 and moves its layers and LM
     * head into the same 16-bit tiles (pack_half_weights), so it serves what the --quantize bf16 archive does: the
     * same perplexity to the last digit, and the checks above.
     */
    @Test
    void optionDtypeBf16ServesAFloatArchiveOnTheSameTiles() throws Exception {
        Assumptions.assumeTrue(GptFolder.trained(), "needs the trained nano-gpt (heldout.txt)");
        Path tmp = Files.createTempDirectory("slm-half-option-");
        Path gpt = copy(GptFolder.dir(), tmp.resolve("nano-gpt"));
        Processes.python("models/tools/convert_gpt2.py", "upgrade", "--dir", gpt.toString());
        Path gptQuantized = tmp.resolve("nano-gpt-bf16");
        Processes.python("models/tools/convert_gpt2.py", "quantize", "--dir", gpt.toString(), "--out",
                gptQuantized.toString(), "--kind", "bf16");
        Path llama = copy(Path.of("models/nano-llama").toAbsolutePath(), tmp.resolve("nano-llama"));
        Processes.python("models/tools/families/llama_family.py", "upgrade", llama.toString());
        Path llamaQuantized = tmp.resolve("nano-llama-bf16");
        Processes.python("models/tools/families/llama_family.py", "quantize", llama.toString(),
                llamaQuantized.toString(), "--kind", "bf16");
        for (Path[] pair : List.of(new Path[] {gpt, gptQuantized}, new Path[] {llama, llamaQuantized})) {
            try (LoadedModel option = Int8DecoderTest.load(pair[0], Map.of("dtype", "bf16"));
                 LoadedModel quantized = Int8DecoderTest.load(pair[1])) {
                long[] ids = Int8DecoderTest.heldout(quantized, pair[0]);
                double[] a = Int8DecoderTest.perplexities(option, ids);
                double[] b = Int8DecoderTest.perplexities(quantized, ids);
                System.out.printf("%s option.dtype=bf16: perplexity %.6f, the --quantize bf16 archive %.6f%n",
                        pair[0].getFileName(), a[0], b[0]);
                assertEquals(b[0], a[0], 1e-9 * b[0], "cache");
                assertEquals(b[1], a[1], 1e-9 * b[1], "logits_all");
            }
            check(pair[0].getFileName().toString(), "bf16 (option.dtype)", pair[0], pair[0], Map.of("dtype", "bf16"));
        }
    }

    private static Path copy(Path from, Path to) throws Exception {
        Files.createDirectories(to);
        try (var files = Files.list(from)) {
            for (Path f : files.filter(Files::isRegularFile).toList()) {
                Files.copy(f, to.resolve(f.getFileName()));
            }
        }
        return to;
    }

    /** fp32's folder against half's, loaded with these options; kind names the weights in messages. */
    private static void check(String id, String kind, Path fp32, Path half, Map<String, String> options)
            throws Exception {
        try (LoadedModel ref = Int8DecoderTest.load(fp32); LoadedModel model = Int8DecoderTest.load(half, options)) {
            long[] ids = Int8DecoderTest.heldout(ref, fp32);
            double[] p = Int8DecoderTest.perplexities(ref, ids);
            double[] q = Int8DecoderTest.perplexities(model, ids);
            System.out.printf("%s held-out perplexity (%d tokens): fp32 cache %.4f / logits_all %.4f; %s cache "
                    + "%.4f / logits_all %.4f (%+.3f%%)%n", id, ids.length - 1, p[0], p[1], kind, q[0], q[1],
                    100 * (q[0] / p[0] - 1));
            double bound = kind.startsWith("bf16") ? 0.005 : 0.0005;
            assertTrue(Math.abs(q[0] / p[0] - 1) < bound, kind + " " + q[0] + " vs fp32 " + p[0]);
            assertTrue(Math.abs(q[0] / q[1] - 1) < 1e-4, kind + " cache " + q[0] + " vs logits_all " + q[1]);

            List<Long> a = Int8DecoderTest.greedy(ref, ids, GREEDY);
            List<Long> b = Int8DecoderTest.greedy(model, ids, GREEDY);
            assertEquals(b, Int8DecoderTest.greedyRecompute(model, ids, GREEDY),
                    id + " " + kind + ": greedy with the cache vs recomputed");
            int same = 0;
            while (same < a.size() && a.get(same).equals(b.get(same))) {
                same++;
            }
            System.out.printf("%s greedy continuation: %s equals fp32 for the first %d of %d tokens%n", id, kind,
                    same, a.size());
            assertTrue(same >= 16, id + " " + kind + " greedy diverges from fp32 after " + same + " tokens");
        }
    }
}
