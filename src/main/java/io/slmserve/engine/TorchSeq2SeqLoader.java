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
 * Loads an encoder-decoder (BART family) folder: tokenizer, TorchScript archive cast to the serving dtype, and a
 * warm-up encode, start step and decode step through a real session. The cross cache holds max_input_tokens
 * source positions; the self cache the start token plus max_total_tokens - max_input_tokens generated tokens.
 */
final class TorchSeq2SeqLoader {

    private static final Logger LOG = Logger.getLogger(TorchSeq2SeqLoader.class);
    private static final String WARM_UP_TEXT = "slm-serve warm-up pass";

    private final ServerConfig.Engine settings;

    TorchSeq2SeqLoader(ServerConfig.Engine settings) {
        this.settings = settings;
    }

    LoadedModel load(ModelSpec spec) throws ModelLoadException {
        Path dir = spec.dir();
        TorchScriptLoader.requireFiles(dir, "model.pt", "tokenizer.json");
        ZooModel<NDList, NDList> model = null;
        HfTextTokenizer tokenizer = null;
        try {
            HfModelFolder folder = HfModelFolder.read(dir);
            int vocab = folder.config().vocabSize();
            int positions = folder.config().maxPositions();
            long decoderStart = folder.config().decoderStartTokenId();
            if (positions <= 0 || decoderStart < 0 || decoderStart >= vocab) {
                throw new ModelLoadException("config.json needs max_position_embeddings and a decoder_start_token_id "
                        + "inside the vocabulary");
            }
            int maxInput = spec.maxInputTokens();
            int maxNew = spec.maxTotalTokens() - maxInput;
            if (maxNew < 1) {
                throw new ModelLoadException("max_total_tokens (" + spec.maxTotalTokens() + ") must exceed "
                        + "max_input_tokens (" + maxInput + ") to leave room to generate");
            }
            if (maxInput > positions || maxNew + 1 > positions) {
                throw new ModelLoadException("max_input_tokens " + maxInput + " and max new tokens " + maxNew
                        + " (+1 start token) must fit the model's max_position_embeddings " + positions);
            }
            tokenizer = new HfTextTokenizer(dir.resolve("tokenizer.json"), maxInput, vocab, null);
            long start = System.nanoTime();
            DevicePlacement.Target target = DevicePlacement.forModel(spec, settings);
            model = TorchScriptLoader.load(dir, "model.pt", target.dtype(), target.device());
            // The source keeps the tokenizer's own special tokens (<s> ... </s>): BosPolicy.NONE says no extra BOS.
            DecoderInfo info = new DecoderInfo(vocab, spec.batchSize(), spec.maxTotalTokens(),
                    folder.eosTokenIds(), folder.eosToken().textOrEmpty(), folder.bosToken().textOrEmpty(),
                    null, true, maxNew, BosPolicy.NONE, folder.generationDefaults());
            Seq2SeqShape shape = new Seq2SeqShape(spec.batchSize(), maxInput, maxNew + 1,
                    decoderStart, Math.max(0, folder.config().padTokenId()));
            TorchSeq2SeqLm seq2seq = new TorchSeq2SeqLm(model, target.intraOpThreads(), info, shape);
            GenerativeWarmUp.run(seq2seq, tokenizer.encode(WARM_UP_TEXT, true).ids(), info.vocabularySize());
            LOG.infof("model %s: TorchScript encoder-decoder on %s in %s, loaded and warmed in %d ms (%d slots, %d "
                    + "source + %d new tokens, vocab %d)", spec.id(), target.device(), target.dtype(),
                    (System.nanoTime() - start) / 1_000_000, info.slots(), maxInput, maxNew, info.vocabularySize());
            HugePageWeights.collapseLater(settings, target.device(), spec.id());
            ZooModel<NDList, NDList> owned = model;
            HfTextTokenizer ownedTokenizer = tokenizer;
            return new LoadedModel(spec, tokenizer, null, seq2seq,
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
