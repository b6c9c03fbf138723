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
 */
public record ModelInfo(String id, ModelState state, String reason, ModelSpec spec, ModelPools.PoolStats pool,
                        DecoderInfo decoder, EmbeddingSetup embedding) {

    public ModelInfo(String id, ModelState state, String reason, ModelSpec spec, ModelPools.PoolStats pool) {
        this(id, state, reason, spec, pool, null, null);
    }
}
