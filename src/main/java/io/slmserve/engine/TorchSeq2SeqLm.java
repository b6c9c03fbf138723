package io.slmserve.engine;

import ai.djl.ndarray.NDList;
import ai.djl.repository.zoo.ZooModel;
import io.slmserve.core.CausalLmBackend;
import io.slmserve.core.DecoderInfo;
import io.slmserve.core.DecoderSession;

/** A loaded encoder-decoder TorchScript archive; hands each worker its own session with its own caches. */
final class TorchSeq2SeqLm implements CausalLmBackend {

    private final ZooModel<NDList, NDList> model;
    private final int intraOpThreads;
    private final DecoderInfo info;
    private final Seq2SeqShape shape;

    TorchSeq2SeqLm(ZooModel<NDList, NDList> model, int intraOpThreads, DecoderInfo info, Seq2SeqShape shape) {
        this.model = model;
        this.intraOpThreads = intraOpThreads;
        this.info = info;
        this.shape = shape;
    }

    @Override
    public DecoderSession openSession() {
        return new TorchSeq2SeqSession(model, intraOpThreads, shape);
    }

    @Override
    public DecoderInfo info() {
        return info;
    }
}
