package io.slmserve.engine;

import ai.djl.ndarray.NDList;
import ai.djl.repository.zoo.ZooModel;
import io.slmserve.config.ServerConfig;
import io.slmserve.core.BackendFactory;
import io.slmserve.core.EmbeddingSetup;
import io.slmserve.core.Pooling;
import io.slmserve.core.TokenizedPair;
import io.slmserve.core.EncoderSession;
import io.slmserve.core.LoadedModel;
import io.slmserve.core.ModelLoadException;
import io.slmserve.core.ModelSpec;
import io.slmserve.core.ModelTask;
import io.slmserve.hf.HfModelFolder;
import io.slmserve.hf.ModelConfig;
import jakarta.enterprise.context.ApplicationScoped;
import java.nio.file.Path;
import java.util.List;
import org.jboss.logging.Logger;

/**
 * Loads a model folder into a backend of its family and proves it runs with one real forward pass of its
 * task, so a model only turns READY once it can answer. Anything that goes wrong becomes a
 * {@link ModelLoadException} whose message names the cause.
 */
@ApplicationScoped
public class TorchScriptBackendFactory implements BackendFactory {

    private static final Logger LOG = Logger.getLogger(TorchScriptBackendFactory.class);
    private static final String WARM_UP_TEXT = "slm-serve warm-up pass";

    private final ServerConfig.Engine settings;

    @jakarta.inject.Inject
    public TorchScriptBackendFactory(ServerConfig config) {
        this(config.engine());
    }

    TorchScriptBackendFactory(ServerConfig.Engine settings) {
        this.settings = settings;
    }

    @Override
    public LoadedModel load(ModelSpec spec) throws ModelLoadException {
        if (spec.task() == ModelTask.TEXT_GENERATION) {
            DjlRuntime.configure(settings);
            return new TorchDecoderLoader(settings).load(spec);
        }
        if (spec.task() == ModelTask.TEXT2TEXT_GENERATION) {
            DjlRuntime.configure(settings);
            return new TorchSeq2SeqLoader(settings).load(spec);
        }
        if (spec.task() != ModelTask.TEXT_EMBEDDING && spec.task() != ModelTask.FILL_MASK
                && spec.task() != ModelTask.TEXT_CLASSIFICATION && spec.task() != ModelTask.RERANK) {
            throw new ModelLoadException("task " + spec.task().id() + " (" + spec.family().id()
                    + " family) is not served by this build");
        }
        DjlRuntime.configure(settings);
        Path dir = spec.dir();
        TorchScriptLoader.requireFiles(dir, "model.pt", "tokenizer.json");
        ZooModel<NDList, NDList> model = null;
        HfTextTokenizer tokenizer = null;
        try {
            HfModelFolder folder = HfModelFolder.read(dir);
            ModelConfig config = folder.config();
            tokenizer = new HfTextTokenizer(dir.resolve("tokenizer.json"), spec.maxInputTokens(), config.vocabSize(),
                    folder.maskToken().text());
            long start = System.nanoTime();
            DevicePlacement.Target target = DevicePlacement.forModel(spec, settings);
            model = TorchScriptLoader.load(dir, "model.pt", target.dtype(), target.device());
            ZooModel<NDList, NDList> loaded = model;
            int packed = settings.fp16WeightGemm() ? ShortLivedThread.call("slm-pack-weights",
                    () -> TorchScriptLoader.packFp16Weights(loaded, target.dtype(), target.device())) : 0;
            boolean decoder = spec.task() == ModelTask.TEXT_EMBEDDING && config.causalLm();
            int width = warmUp(spec.task(), model, tokenizer, config, decoder);
            EmbeddingSetup embedding = spec.task() == ModelTask.TEXT_EMBEDDING
                    ? EmbeddingFolder.read(spec, config.modelType(), width) : null;
            LOG.infof("model %s: TorchScript encoder (%s) on %s in %s%s, loaded and warmed in %d ms", spec.id(),
                    spec.task().id(), target.device(), target.dtype(),
                    packed > 0 ? ", " + packed + " linear layers on the fp16-weight GEMM" : "",
                    (System.nanoTime() - start) / 1_000_000);
            TorchScriptEncoder encoder = new TorchScriptEncoder(model, target.intraOpThreads(), width,
                    config.labels(), embedding, decoder);
            ZooModel<NDList, NDList> owned = model;
            HfTextTokenizer ownedTokenizer = tokenizer;
            return new LoadedModel(spec, tokenizer, encoder,
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
     * One forward pass of the model's task on this thread, checked against config.json.
     *
     * @return the embedding width for embedding models, otherwise the output width
     */
    private int warmUp(ModelTask task, ZooModel<NDList, NDList> model, HfTextTokenizer tokenizer,
            ModelConfig config, boolean decoder) throws ModelLoadException {
        if (decoder) {
            TorchScriptLoader.requireMethods(model, "text-embedding from a decoder reads its final hidden states;"
                    + " re-convert the decoder with the current converter", TorchEncoderSession.DECODER_STATES);
        }
        // One thread, never widened: more would leave an idle OpenMP pool on this loader thread (see CoreShare).
        try (EncoderSession session = new TorchEncoderSession(model, CoreShare.fixed(1), 1, Pooling.MEAN, decoder)) {
            switch (task) {
                case TEXT_EMBEDDING -> {
                    int hidden = session.tokenEmbeddings(List.of(tokenizer.encode(WARM_UP_TEXT, true).ids()))
                            .get(0)[0].length;
                    if (config.hiddenSize() > 0 && config.hiddenSize() != hidden) {
                        throw new ModelLoadException("model.pt returns hidden size " + hidden
                                + " but config.json says " + config.hiddenSize());
                    }
                    return hidden;
                }
                case TEXT_CLASSIFICATION -> {
                    int classes = session.classify(List.of(tokenizer.encode(WARM_UP_TEXT, true).ids()))[0].length;
                    if (classes != config.labels().size()) {
                        throw new ModelLoadException("model.pt returns " + classes + " logits but config.json id2label"
                                + " names " + config.labels().size() + " labels");
                    }
                    return classes;
                }
                case RERANK -> {
                    TokenizedPair pair = tokenizer.encodePair(WARM_UP_TEXT, WARM_UP_TEXT, true, false);
                    int classes = session.classify(List.of(pair.ids()), List.of(pair.typeIds()))[0].length;
                    if (classes != 1) {
                        throw new ModelLoadException("a reranker (cross-encoder) returns one logit per pair, model.pt"
                                + " returns " + classes);
                    }
                    return classes;
                }
                default -> {
                    if (tokenizer.maskTokenId() < 0) {
                        throw new ModelLoadException("fill-mask needs mask_token in tokenizer_config.json");
                    }
                    long[] ids = tokenizer.encode(tokenizer.maskToken(), true).ids();
                    int at = indexOf(ids, tokenizer.maskTokenId());
                    session.fillMask(List.of(ids), new int[] {at}, 1);
                    return config.hiddenSize();
                }
            }
        }
    }

    private static int indexOf(long[] ids, long id) throws ModelLoadException {
        for (int i = 0; i < ids.length; i++) {
            if (ids[i] == id) {
                return i;
            }
        }
        throw new ModelLoadException("the tokenizer does not keep the mask token as one token");
    }
}
