package io.slmserve.engine;

import ai.djl.ndarray.NDList;
import ai.djl.repository.zoo.ZooModel;
import io.slmserve.config.ServerConfig;
import io.slmserve.core.BosPolicy;
import io.slmserve.core.DecoderInfo;
import io.slmserve.core.LoadedModel;
import io.slmserve.core.ModelLoadException;
import io.slmserve.core.ModelSpec;
import io.slmserve.hf.HfModelFolder;
import java.nio.file.Path;
import org.jboss.logging.Logger;

/**
 * Loads a decoder (GPT family) folder: tokenizer, TorchScript archive cast to the serving dtype, and one
 * warm-up prefill plus decode step through a real session, so the model is READY only once it can generate.
 */
final class TorchDecoderLoader {

    private static final Logger LOG = Logger.getLogger(TorchDecoderLoader.class);
    private static final String WARM_UP_TEXT = "slm-serve warm-up pass";

    private final ServerConfig.Engine settings;

    TorchDecoderLoader(ServerConfig.Engine settings) {
        this.settings = settings;
    }

    LoadedModel load(ModelSpec spec) throws ModelLoadException {
        Path dir = spec.dir();
        TorchScriptLoader.requireFiles(dir, "model.pt", "tokenizer.json");
        ZooModel<NDList, NDList> model = null;
        HfTextTokenizer tokenizer = null;
        try {
            HfModelFolder folder = HfModelFolder.read(dir);
            int positions = folder.config().maxPositions();
            if (positions <= 0) {
                throw new ModelLoadException("config.json needs n_positions or max_position_embeddings");
            }
            int maxTotal = spec.maxTotalTokens();
            if (maxTotal > positions) {
                throw new ModelLoadException("max_total_tokens " + maxTotal + " exceeds the model's n_positions "
                        + "(max_position_embeddings) " + positions);
            }
            if (spec.maxInputTokens() >= maxTotal) {
                throw new ModelLoadException("max_input_tokens (" + spec.maxInputTokens()
                        + ") must be below max_total_tokens (" + maxTotal + ") to leave room to generate");
            }
            int vocab = folder.config().vocabSize();
            BosPolicy bos = folder.addsBos() ? new BosPolicy(true, folder.addedBos().id(), folder.bosSource())
                    : new BosPolicy(false, -1, folder.bosSource());
            for (long id : folder.eosTokenIds()) {
                if (id >= vocab) {
                    throw new ModelLoadException("eos_token_id " + id + " is outside the vocabulary [0, " + vocab + ")");
                }
            }
            tokenizer = HfTextTokenizer.forPrompts(dir.resolve("tokenizer.json"), spec.maxInputTokens(), vocab, bos);
            long start = System.nanoTime();
            DevicePlacement.Target requested = DevicePlacement.forModel(spec, settings);
            // bf16 / fp16 on the CPU: float32 math on the archive's 16-bit tiles (pack_half_weights) where it has
            // them; otherwise the whole-archive cast, onto libtorch's slow half-precision CPU kernels
            boolean halfOnCpu = !requested.device().isGpu() && !"float32".equals(requested.dtype());
            model = TorchScriptLoader.load(dir, "model.pt", halfOnCpu ? "float32" : requested.dtype(),
                    requested.device());
            TorchScriptLoader.requireMethods(model, "an archive from an older converter: re-script it with "
                    + "models/tools/convert_gpt2.py upgrade --dir " + dir, "new_cache_tensor", "logits_all",
                    "forward_mixed");
            // the packings run on both cores: on a short-lived thread, as the load and the warm-up do
            ZooModel<NDList, NDList> loaded = model;
            int halfLayers = halfOnCpu ? ShortLivedThread.call("slm-pack-weights",
                    () -> TorchScriptLoader.packHalfWeights(loaded, requested.dtype())) : 0;
            if (halfOnCpu && halfLayers == 0) {
                LOG.warnf("model %s: %s on the CPU: the archive has no float32 layers to move into 16-bit tiles "
                        + "(one converted before pack_half_weights existed needs the converter's upgrade command; "
                        + "int8 archives serve best in float32), so every weight and activation is "
                        + "cast, which CPUs without AVX512-BF16 run slower than float32", spec.id(),
                        requested.dtype());
                ShortLivedThread.call("slm-load-archive", () -> {
                    TorchScriptLoader.cast(loaded, requested.dtype());
                    return null;
                });
            }
            DevicePlacement.Target target = halfLayers > 0
                    ? new DevicePlacement.Target(requested.device(), "float32", requested.intraOpThreads())
                    : requested;
            int[] packed = ShortLivedThread.call("slm-pack-weights", () -> pack(loaded, target));
            boolean kernelsOff = !settings.fusedKernels() && TorchScriptLoader.setKernels(model, false);
            DecoderInfo info = new DecoderInfo(vocab, spec.batchSize(), maxTotal, folder.eosTokenIds(),
                    folder.eosToken().textOrEmpty(), folder.bosToken().textOrEmpty(), folder.chatTemplate(), false,
                    maxTotal, bos, folder.generationDefaults());
            // option.max_loras (vLLM's name): adapters each session keeps in its weight stacks at once
            int loraSlots = Integer.parseInt(spec.option("max_loras", "8"));
            TorchCausalLm decoder = new TorchCausalLm(model, target.intraOpThreads(), info,
                    ArchiveLoraTargets.read(model), loraSlots);
            GenerativeWarmUp.run(decoder, tokenizer.encode(WARM_UP_TEXT, true).ids(), info.vocabularySize());
            LOG.infof("model %s: TorchScript decoder on %s in %s%s%s, loaded and warmed in %d ms (%d slots x %d "
                    + "tokens, vocab %d)", spec.id(), target.device(),
                    halfLayers > 0 ? "float32 with " + requested.dtype() + " weights (" + halfLayers
                            + " linear layers on slm::half_linear)" : target.dtype(),
                    packed[0] > 0 ? ", " + packed[0] + " linear layers on FBGEMM's fp16-weight GEMM" : "",
                    packed[1] > 0 ? ", " + packed[1] + " linear layers" + (packed[2] > 0 ? " and a packed tied head"
                            : "") + " on oneDNN" : "",
                    (System.nanoTime() - start) / 1_000_000, info.slots(), maxTotal, info.vocabularySize());
            if (kernelsOff) {
                LOG.infof("model %s: fused decode ops off (slm.engine.fused-kernels=false)", spec.id());
            }
            HugePageWeights.collapseLater(settings, target.device(), spec.id());
            ZooModel<NDList, NDList> owned = model;
            HfTextTokenizer ownedTokenizer = tokenizer;
            return new LoadedModel(spec, tokenizer, null, decoder,
                    () -> TorchScriptLoader.release(owned, ownedTokenizer));
        } catch (ModelLoadException e) {
            TorchScriptLoader.release(model, tokenizer);
            throw e;
        } catch (Exception | LinkageError e) {
            TorchScriptLoader.release(model, tokenizer);
            throw new ModelLoadException(e.getClass().getSimpleName() + ": " + e.getMessage(), e);
        }
    }

    /**
     * The CPU packings, in order: layers holding fp16 values onto FBGEMM's fp16-weight GEMM
     * (slm.engine.fp16-weight-gemm), the remaining float32 layers into oneDNN's layout (pack-cpu-weights), then a
     * tied LM head's oneDNN copy (pack-tied-head). Each is a no-op where it does not apply (other dtypes, CUDA,
     * archives without the method).
     *
     * @return layers on FBGEMM, layers on oneDNN, 1 when the tied head has its oneDNN copy
     */
    private int[] pack(ZooModel<NDList, NDList> model, DevicePlacement.Target target) {
        String dtype = target.dtype();
        int fp16 = settings.fp16WeightGemm() ? TorchScriptLoader.packFp16Weights(model, dtype, target.device()) : 0;
        if (!settings.packCpuWeights()) {
            return new int[] {fp16, 0, 0};
        }
        int onednn = TorchScriptLoader.packCpuWeights(model, dtype, target.device());
        int head = settings.packTiedHead() ? TorchScriptLoader.packTiedHead(model, dtype, target.device()) : 0;
        return new int[] {fp16, onednn, head};
    }
}
