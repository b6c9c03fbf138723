package io.slmserve.engine;

import ai.djl.ndarray.NDList;
import ai.djl.repository.zoo.ZooModel;
import io.slmserve.core.EncoderBackend;
import io.slmserve.core.EmbeddingSetup;
import io.slmserve.core.EncoderSession;
import io.slmserve.core.Pooling;
import java.util.List;

/** A loaded encoder TorchScript archive; hands each worker its own session. */
final class TorchScriptEncoder implements EncoderBackend {

    private final ZooModel<NDList, NDList> model;
    private final int intraOpThreads;
    private final int hiddenSize;
    private final List<String> labels;
    private final EmbeddingSetup embedding;
    private final boolean decoder;

    TorchScriptEncoder(ZooModel<NDList, NDList> model, int intraOpThreads, int hiddenSize, List<String> labels,
            EmbeddingSetup embedding, boolean decoder) {
        this.model = model;
        this.decoder = decoder;
        this.embedding = embedding;
        this.intraOpThreads = intraOpThreads;
        this.hiddenSize = hiddenSize;
        this.labels = List.copyOf(labels);
    }

    @Override
    public EncoderSession openSession() {
        return new TorchEncoderSession(model, intraOpThreads, embedding == null ? Pooling.MEAN : embedding.pooling(),
                decoder);
    }

    @Override
    public int hiddenSize() {
        return hiddenSize;
    }

    @Override
    public List<String> labels() {
        return labels;
    }

    @Override
    public EmbeddingSetup embedding() {
        return embedding;
    }
}
