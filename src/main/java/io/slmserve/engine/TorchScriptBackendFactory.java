package io.slmserve.engine;

import ai.djl.ndarray.NDList;
import ai.djl.repository.zoo.ZooModel;
import io.slmserve.config.ServerConfig;
import io.slmserve.core.BackendFactory;
import io.slmserve.core.EncoderSession;
import io.slmserve.core.LoadedModel;
import io.slmserve.core.ModelTask;
import io.slmserve.core.ModelLoadException;
import io.slmserve.core.ModelSpec;
import jakarta.enterprise.context.ApplicationScoped;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.jboss.logging.Logger;

/**
 * Loads a model folder into a backend of its family and proves it runs with one real forward pass, so a
 * model only turns READY once it can answer. Anything that goes wrong becomes a {@link ModelLoadException}
 * whose message names the cause.
 */
@ApplicationScoped
public class TorchScriptBackendFactory implements BackendFactory {

    private static final Logger LOG = Logger.getLogger(TorchScriptBackendFactory.class);
    private static final String WARM_UP_TEXT = "slm-serve warm-up pass";

    private final ServerConfig.Engine settings;

    public TorchScriptBackendFactory(ServerConfig config) {
        this.settings = config.engine();
    }

    @Override
    public LoadedModel load(ModelSpec spec) throws ModelLoadException {
        if (spec.task() == ModelTask.TEXT_GENERATION) {
            DjlRuntime.configure(settings.interOpThreads(), settings.intraOpThreads());
            return new TorchDecoderLoader(settings.intraOpThreads()).load(spec);
        }
        if (spec.task() != ModelTask.TEXT_EMBEDDING) {
            throw new ModelLoadException("task " + spec.task().id() + " (" + spec.family().id()
                    + " family) is not served by this build");
        }
        DjlRuntime.configure(settings.interOpThreads(), settings.intraOpThreads());
        Path dir = spec.dir();
        requireFile(dir, "model.pt");
        requireFile(dir, "tokenizer.json");
        ZooModel<NDList, NDList> model = null;
        HfTextTokenizer tokenizer = null;
        try {
            ModelConfigJson config = ModelConfigJson.read(dir);
            tokenizer = new HfTextTokenizer(dir.resolve("tokenizer.json"), spec.maxInputTokens(), config.vocabSize());
            long start = System.nanoTime();
            model = TorchScriptLoader.load(dir, "model.pt", spec.option("dtype", "float32"));
            int hidden = warmUp(model, tokenizer);
            if (config.hiddenSize() > 0 && config.hiddenSize() != hidden) {
                throw new ModelLoadException("model.pt returns hidden size " + hidden + " but config.json says "
                        + config.hiddenSize());
            }
            LOG.infof("model %s: TorchScript encoder loaded and warmed in %d ms (hidden size %d)",
                    spec.id(), (System.nanoTime() - start) / 1_000_000, hidden);
            TorchScriptEncoder encoder = new TorchScriptEncoder(model, settings.intraOpThreads(), hidden);
            ZooModel<NDList, NDList> owned = model;
            HfTextTokenizer ownedTokenizer = tokenizer;
            return new LoadedModel(spec, tokenizer, encoder, () -> {
                ownedTokenizer.close();
                owned.close();
            });
        } catch (ModelLoadException e) {
            closeQuietly(model, tokenizer);
            throw e;
        } catch (Exception | LinkageError e) {
            closeQuietly(model, tokenizer);
            throw new ModelLoadException(e.getClass().getSimpleName() + ": " + e.getMessage(), e);
        }
    }

    /** One forward pass on this thread; returns the hidden size the model produced. */
    private int warmUp(ZooModel<NDList, NDList> model, HfTextTokenizer tokenizer) {
        try (EncoderSession session = new TorchEncoderSession(model, settings.intraOpThreads())) {
            float[][] out = session.embed(List.of(tokenizer.encode(WARM_UP_TEXT, true).ids()));
            return out[0].length;
        }
    }

    private static void requireFile(Path dir, String name) throws ModelLoadException {
        if (!Files.isRegularFile(dir.resolve(name))) {
            throw new ModelLoadException("missing " + name + " in " + dir);
        }
    }

    private static void closeQuietly(ZooModel<NDList, NDList> model, HfTextTokenizer tokenizer) {
        if (tokenizer != null) {
            tokenizer.close();
        }
        if (model != null) {
            model.close();
        }
    }
}
