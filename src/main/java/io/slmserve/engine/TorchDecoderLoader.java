package io.slmserve.engine;

import ai.djl.ndarray.NDList;
import ai.djl.repository.zoo.ZooModel;
import io.slmserve.config.ServerConfig;
import io.slmserve.core.DecoderInfo;
import io.slmserve.core.LoadedModel;
import io.slmserve.core.ModelLoadException;
import io.slmserve.core.ModelSpec;
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
            DecoderFolder folder = DecoderFolder.read(dir);
            int maxTotal = spec.maxTotalTokens();
            if (maxTotal > folder.positions()) {
                throw new ModelLoadException("max_total_tokens " + maxTotal + " exceeds the model's n_positions "
                        + folder.positions());
            }
            if (spec.maxInputTokens() >= maxTotal) {
                throw new ModelLoadException("max_input_tokens (" + spec.maxInputTokens()
                        + ") must be below max_total_tokens (" + maxTotal + ") to leave room to generate");
            }
            tokenizer = new HfTextTokenizer(dir.resolve("tokenizer.json"), spec.maxInputTokens(), folder.vocabSize(),
                    null);
            long start = System.nanoTime();
            DevicePlacement.Target target = DevicePlacement.forModel(spec, settings);
            model = TorchScriptLoader.load(dir, "model.pt", target.dtype(), target.device());
            TorchScriptLoader.requireMethods(model, "an archive from an older converter: re-script it with "
                    + "models/tools/convert_gpt2.py upgrade --dir " + dir, "new_cache_tensor", "logits_all",
                    "forward_mixed");
            DecoderInfo info = new DecoderInfo(folder.vocabSize(), spec.batchSize(), maxTotal, folder.eosTokenId(),
                    folder.eosToken(), folder.bosToken(), folder.chatTemplate());
            TorchCausalLm decoder = new TorchCausalLm(model, target.intraOpThreads(), info);
            GenerativeWarmUp.run(decoder, tokenizer.encode(WARM_UP_TEXT, true).ids(), info.vocabularySize());
            LOG.infof("model %s: TorchScript decoder on %s in %s, loaded and warmed in %d ms (%d slots x %d tokens, "
                    + "vocab %d)", spec.id(), target.device(), target.dtype(), (System.nanoTime() - start) / 1_000_000,
                    info.slots(), maxTotal, info.vocabularySize());
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
}
