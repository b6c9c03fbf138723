package io.slmserve.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDList;
import ai.djl.repository.zoo.ZooModel;
import io.slmserve.core.LoadedModel;
import io.slmserve.testing.Processes;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * slm.engine.fp16-weight-gemm for decoders: the trained nano-gpt and nano-llama, re-scripted and written with fp16
 * weights served in float32 (models/tools/fp16_weights.py, what convert.py --fp16-weights writes), run their linear
 * layers and tied LM head through FBGEMM's fp16-weight GEMM. Against the same rounded weights on MKL's float32 sgemm
 * (nothing packed) the held-out perplexity and greedy tokens are the same, with the cache as recomputed; against the
 * float32 original the perplexity moves by less than 0.5%. Every layer and the head are packed, so oneDNN finds
 * nothing left.
 */
class Fp16WeightDecoderTest {

    private static final int GREEDY = 48;

    @Test
    void nanoGptOnFp16WeightsGivesTheSgemmPerplexityAndTokens() throws Exception {
        Path dir = PackCpuWeightsTest.copy("nano-gpt");
        Processes.python("models/tools/convert_gpt2.py", "upgrade", "--dir", dir.toString());
        check("nano-gpt", dir, 4 * 4 + 1);
    }

    @Test
    void nanoLlamaOnFp16WeightsGivesTheSgemmPerplexityAndTokens() throws Exception {
        Path dir = PackCpuWeightsTest.copy("nano-llama");
        Processes.python("models/tools/families/llama_family.py", "upgrade", dir.toString());
        check("nano-llama", dir, 5 * 4 + 1);
    }

    private static void check(String id, Path fp32, int layers) throws Exception {
        Path dir = fp32.resolveSibling(id + "-fp16");
        Processes.python("models/tools/fp16_weights.py", fp32.toString(), dir.toString());
        try (ZooModel<NDList, NDList> zoo = TorchScriptLoader.load(dir, "model.pt", "float32", Device.cpu())) {
            assertEquals(layers, TorchScriptLoader.packFp16Weights(zoo, "float32", Device.cpu()), id + " layers");
            assertEquals(layers, TorchScriptLoader.packFp16Weights(zoo, "float32", Device.cpu()), id + " again");
            assertEquals(0, TorchScriptLoader.packCpuWeights(zoo, "float32", Device.cpu()), id + ": left for oneDNN");
            assertEquals(0, TorchScriptLoader.packTiedHead(zoo, "float32", Device.cpu()), id + ": head on oneDNN");
        }
        try (LoadedModel original = load(fp32, false); LoadedModel sgemm = load(dir, false);
                LoadedModel fbgemm = load(dir, true)) {
            long[] ids = Int8DecoderTest.heldout(sgemm, dir);
            double[] o = Int8DecoderTest.perplexities(original, ids);
            double[] p = Int8DecoderTest.perplexities(sgemm, ids);
            double[] q = Int8DecoderTest.perplexities(fbgemm, ids);
            System.out.printf("%s held-out perplexity (%d tokens): float32 weights %.5f; fp16 weights on sgemm cache "
                    + "%.5f / logits_all %.5f; on FBGEMM cache %.5f / logits_all %.5f%n", id, ids.length - 1, o[0],
                    p[0], p[1], q[0], q[1]);
            // the same float32 products of the same weights, summed in another order
            assertTrue(Math.abs(q[0] / p[0] - 1) < 1e-4, "FBGEMM " + q[0] + " vs sgemm " + p[0]);
            assertTrue(Math.abs(q[0] / q[1] - 1) < 1e-4, "FBGEMM cache " + q[0] + " vs logits_all " + q[1]);
            // what rounding the weights to fp16 costs (these models were trained in float32)
            assertTrue(Math.abs(p[0] / o[0] - 1) < 5e-3, "fp16 weights " + p[0] + " vs float32 " + o[0]);
            List<Long> greedy = Int8DecoderTest.greedy(fbgemm, ids, GREEDY);
            assertEquals(Int8DecoderTest.greedy(sgemm, ids, GREEDY), greedy, id + ": FBGEMM vs sgemm greedy");
            assertEquals(Int8DecoderTest.greedyRecompute(fbgemm, ids, GREEDY), greedy,
                    id + ": FBGEMM greedy with the cache vs recomputed");
        }
    }

    /** The folder served with every CPU packing on (the defaults) or off (MKL's sgemm on the plain weights). */
    private static LoadedModel load(Path dir, boolean pack) throws Exception {
        return PackCpuWeightsTest.served(dir, new HalfPrecisionEncoderTest.EngineDefaults() {
            @Override
            public boolean fp16WeightGemm() {
                return pack;
            }

            @Override
            public boolean packCpuWeights() {
                return pack;
            }
        });
    }
}
