package io.slmserve.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDList;
import ai.djl.pytorch.engine.PtSymbolBlock;
import ai.djl.pytorch.jni.IValue;
import ai.djl.pytorch.jni.IValueUtils;
import ai.djl.repository.zoo.ZooModel;
import io.slmserve.config.ServerConfig;
import io.slmserve.core.LoadedModel;
import io.slmserve.core.ModelSpec;
import io.slmserve.core.ModelTask;
import io.slmserve.testing.Processes;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * slm.engine.pack-cpu-weights: the trained nano-gpt and nano-llama, re-scripted at test time with the current
 * converters (which export pack_cpu_weights), served with their float32 linear layers in oneDNN's layout give the
 * held-out perplexity and greedy tokens of the same archive on MKL's sgemm; with the cache, as recomputed; every
 * linear layer is packed, and the tied LM head gets its own packed copy (slm.engine.pack-tied-head) or reads the
 * embedding's plain table; int8 and float16 archives are left alone, and a cast after packing is refused.
 */
class PackCpuWeightsTest {

    private static final int MAX_IDS = 256;
    private static final int GREEDY = 48;

    @Test
    void nanoGptPackedGivesTheSgemmPerplexityAndTokens() throws Exception {
        Path dir = copy("nano-gpt");
        Processes.python("models/tools/convert_gpt2.py", "upgrade", "--dir", dir.toString());
        check("nano-gpt", dir, 4 * 4);
    }

    @Test
    void nanoLlamaPackedGivesTheSgemmPerplexityAndTokens() throws Exception {
        Path dir = copy("nano-llama");
        Processes.python("models/tools/families/llama_family.py", "upgrade", dir.toString());
        check("nano-llama", dir, 5 * 4);
    }

    @Test
    void int8AndHalfPrecisionArchivesAreNotPackedAndCastAfterPackingIsRefused() throws Exception {
        Path dir = copy("nano-llama");
        Processes.python("models/tools/families/llama_family.py", "upgrade", dir.toString());
        Path int8 = dir.resolveSibling("nano-llama-int8");
        Processes.python("models/tools/families/llama_family.py", "quantize", dir.toString(), int8.toString());
        try (ZooModel<NDList, NDList> q = TorchScriptLoader.load(int8, "model.pt", "float32", Device.cpu());
                ZooModel<NDList, NDList> half = TorchScriptLoader.load(dir, "model.pt", "float16", Device.cpu());
                ZooModel<NDList, NDList> fp32 = TorchScriptLoader.load(dir, "model.pt", "float32", Device.cpu())) {
            assertEquals(0, TorchScriptLoader.packCpuWeights(q, "float32", Device.cpu()));
            assertEquals(0, TorchScriptLoader.packTiedHead(q, "float32", Device.cpu()), "int8 head");
            assertEquals(0, TorchScriptLoader.packCpuWeights(half, "float16", Device.cpu()));
            assertEquals(0, TorchScriptLoader.packTiedHead(half, "float16", Device.cpu()), "float16 head");
            assertEquals(0, TorchScriptLoader.packTiedHead(fp32, "float32", Device.cpu()), "head before the layers");
            assertEquals(20, TorchScriptLoader.packCpuWeights(fp32, "float32", Device.cpu()));
            assertEquals(20, TorchScriptLoader.packCpuWeights(fp32, "float32", Device.cpu()), "packing twice");
            assertEquals(1, TorchScriptLoader.packTiedHead(fp32, "float32", Device.cpu()));
            try (IValue dtype = IValue.from("float32")) {
                Exception e = assertThrows(Exception.class,
                        () -> IValueUtils.runMethod((PtSymbolBlock) fp32.getBlock(), "cast", dtype).close());
                assertTrue(e.getMessage().contains("cast must come before pack_cpu_weights"), e.getMessage());
            }
        }
    }

    private static void check(String id, Path dir, int layers) throws Exception {
        try (ZooModel<NDList, NDList> zoo = TorchScriptLoader.load(dir, "model.pt", "float32", Device.cpu())) {
            assertEquals(layers, TorchScriptLoader.packCpuWeights(zoo, "float32", Device.cpu()), id + " layers");
            assertEquals(1, TorchScriptLoader.packTiedHead(zoo, "float32", Device.cpu()), id + " tied head");
            assertEquals(1, TorchScriptLoader.packTiedHead(zoo, "float32", Device.cpu()), id + " tied head again");
        }
        // packed: the layers and the tied head's own copy (the defaults); the cache's perplexity runs the step's
        // head, logits_all the embedding's plain table
        try (LoadedModel sgemm = load(dir, false, false); LoadedModel packed = load(dir, true, true);
                LoadedModel plainHead = load(dir, true, false)) {
            long[] ids = Int8DecoderTest.heldout(sgemm, dir);
            double[] p = Int8DecoderTest.perplexities(sgemm, ids);
            double[] q = Int8DecoderTest.perplexities(packed, ids);
            System.out.printf("%s held-out perplexity (%d tokens): sgemm cache %.5f / logits_all %.5f; oneDNN cache "
                    + "%.5f / logits_all %.5f%n", id, ids.length - 1, p[0], p[1], q[0], q[1]);
            // the same float32 products summed in another order
            assertTrue(Math.abs(q[0] / p[0] - 1) < 1e-4, "oneDNN " + q[0] + " vs sgemm " + p[0]);
            assertTrue(Math.abs(q[1] / p[1] - 1) < 1e-4, "oneDNN logits_all " + q[1] + " vs sgemm " + p[1]);
            assertTrue(Math.abs(q[0] / q[1] - 1) < 1e-4, "oneDNN cache " + q[0] + " vs logits_all " + q[1]);
            double r = Int8DecoderTest.perplexities(plainHead, ids)[0];
            assertTrue(Math.abs(r / p[0] - 1) < 1e-4, "oneDNN, head on the plain table " + r + " vs sgemm " + p[0]);
            List<Long> greedy = Int8DecoderTest.greedy(packed, ids, GREEDY);
            assertEquals(Int8DecoderTest.greedy(sgemm, ids, GREEDY), greedy, id + ": oneDNN vs sgemm greedy");
            assertEquals(Int8DecoderTest.greedyRecompute(packed, ids, GREEDY), greedy,
                    id + ": oneDNN greedy with the cache vs recomputed");
        }
    }

    private static LoadedModel load(Path dir, boolean pack, boolean tiedHead) throws Exception {
        return served(dir, new HalfPrecisionEncoderTest.EngineDefaults() {
            @Override
            public boolean packCpuWeights() {
                return pack;
            }

            @Override
            public boolean packTiedHead() {
                return tiedHead;
            }
        });
    }

    /** The decoder folder served with these engine settings, one slot of room for MAX_IDS ids and a step. */
    static LoadedModel served(Path dir, ServerConfig.Engine settings) throws Exception {
        ModelSpec spec = new ModelSpec(dir.getFileName().toString(), dir, ModelTask.TEXT_GENERATION, 1, Duration.ZERO,
                4096, 1, 1, 1, MAX_IDS + 63, Map.of(), MAX_IDS + 64);
        return new TorchDecoderLoader(settings).load(spec);
    }

    /** The bundled folder's files in a new temporary directory (upgrade rewrites model.pt in place). */
    static Path copy(String name) throws IOException {
        Path from = Path.of("models", name).toAbsolutePath();
        Path to = Files.createTempDirectory("slm-pack-").resolve(name);
        Files.createDirectories(to);
        try (Stream<Path> files = Files.list(from)) {
            for (Path f : files.filter(Files::isRegularFile).toList()) {
                Files.copy(f, to.resolve(f.getFileName()), StandardCopyOption.REPLACE_EXISTING);
            }
        }
        to.toFile().deleteOnExit();
        return to;
    }
}
