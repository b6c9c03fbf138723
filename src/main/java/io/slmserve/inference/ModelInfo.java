package io.slmserve.inference;

import io.slmserve.core.DecoderInfo;
import io.slmserve.core.EmbeddingSetup;
import io.slmserve.core.ModelSpec;
import io.slmserve.core.ModelState;

/**
 * What the model list shows for one folder.
 *
 * @param spec   null when serving.properties could not be read
 * @param reason why it FAILED, or null
 * @param pool   live workers and queue depth, or null when the model has no running pool
 * @param decoder a generative model's metadata (end-of-sequence ids, BOS, generation defaults), or null
 * @param embedding an embedding model's pooling, normalisation and prompts once loaded, else null
 * @param adapters a READY decoder's LoRA adapters (loaded and failed), by name; empty otherwise
 */
public record ModelInfo(String id, ModelState state, String reason, ModelSpec spec, ModelPools.PoolStats pool,
                        DecoderInfo decoder, EmbeddingSetup embedding, java.util.List<Adapter> adapters) {

    public ModelInfo {
        adapters = adapters == null ? java.util.List.of() : java.util.List.copyOf(adapters);
    }

    public ModelInfo(String id, ModelState state, String reason, ModelSpec spec, ModelPools.PoolStats pool) {
        this(id, state, reason, spec, pool, null, null, null);
    }

    /**
     * One LoRA adapter of the model.
     *
     * @param reason why it failed to load, or null when loaded
     * @param rank   0 when it failed
     * @param bytes  host memory of its weights (float32), 0 when it failed
     */
    public record Adapter(String name, String reason, int rank, java.util.List<String> targets, long bytes) {
    }
}
