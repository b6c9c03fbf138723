package io.slmserve.engine;

import ai.djl.ndarray.NDList;
import ai.djl.repository.zoo.ZooModel;
import io.slmserve.core.CausalLmBackend;
import io.slmserve.core.DecoderInfo;
import io.slmserve.core.DecoderSession;
import io.slmserve.core.LoraTargets;

/** A loaded decoder TorchScript archive; hands each worker its own session with its own KV cache. */
final class TorchCausalLm implements CausalLmBackend {

    private final ZooModel<NDList, NDList> model;
    private final int intraOpThreads;
    private final DecoderInfo info;
    private final LoraTargets loraTargets;
    private final int loraSlots;

    TorchCausalLm(ZooModel<NDList, NDList> model, int intraOpThreads, DecoderInfo info) {
        this(model, intraOpThreads, info, null, 0);
    }

    /** @param loraTargets null when the archive takes no adapters; loraSlots adapters stay resident per session */
    TorchCausalLm(ZooModel<NDList, NDList> model, int intraOpThreads, DecoderInfo info, LoraTargets loraTargets,
                  int loraSlots) {
        this.model = model;
        this.intraOpThreads = intraOpThreads;
        this.info = info;
        this.loraTargets = loraTargets;
        this.loraSlots = loraSlots;
    }

    @Override
    public DecoderSession openSession() {
        return new TorchDecoderSession(model, intraOpThreads, info.slots(), info.maxTotalTokens(), loraTargets,
                loraSlots);
    }

    @Override
    public LoraTargets loraTargets() {
        return loraTargets;
    }

    @Override
    public DecoderInfo info() {
        return info;
    }
}
