package io.slmserve.engine;

import ai.djl.ndarray.NDList;
import ai.djl.repository.zoo.ZooModel;
import io.slmserve.core.CausalLmBackend;
import io.slmserve.core.DecoderInfo;
import io.slmserve.core.DecoderSession;

/** A loaded decoder TorchScript archive; hands each worker its own session with its own KV cache. */
final class TorchCausalLm implements CausalLmBackend {

    private final ZooModel<NDList, NDList> model;
    private final int intraOpThreads;
    private final DecoderInfo info;

    TorchCausalLm(ZooModel<NDList, NDList> model, int intraOpThreads, DecoderInfo info) {
        this.model = model;
        this.intraOpThreads = intraOpThreads;
        this.info = info;
    }

    @Override
    public DecoderSession openSession() {
        return new TorchDecoderSession(model, intraOpThreads, info.slots(), info.maxTotalTokens());
    }

    @Override
    public DecoderInfo info() {
        return info;
    }
}
