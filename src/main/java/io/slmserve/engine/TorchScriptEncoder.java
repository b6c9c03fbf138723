package io.slmserve.engine;

import ai.djl.ndarray.NDList;
import ai.djl.repository.zoo.ZooModel;
import io.slmserve.core.EncoderBackend;
import io.slmserve.core.EncoderSession;

/** A loaded encoder TorchScript archive; hands each worker its own session. */
final class TorchScriptEncoder implements EncoderBackend {

    private final ZooModel<NDList, NDList> model;
    private final int intraOpThreads;
    private final int hiddenSize;

    TorchScriptEncoder(ZooModel<NDList, NDList> model, int intraOpThreads, int hiddenSize) {
        this.model = model;
        this.intraOpThreads = intraOpThreads;
        this.hiddenSize = hiddenSize;
    }

    @Override
    public EncoderSession openSession() {
        return new TorchEncoderSession(model, intraOpThreads);
    }

    @Override
    public int hiddenSize() {
        return hiddenSize;
    }
}
