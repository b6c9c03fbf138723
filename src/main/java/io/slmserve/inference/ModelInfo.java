package io.slmserve.inference;

import io.slmserve.core.ModelSpec;
import io.slmserve.core.ModelState;

/**
 * What the model list shows for one folder.
 *
 * @param spec   null when serving.properties could not be read
 * @param reason why it FAILED, or null
 * @param pool   live workers and queue depth, or null when the model has no running pool
 * @param embedding an embedding model's pooling, normalisation and prompts once loaded, else null
 */
public record ModelInfo(String id, ModelState state, String reason, ModelSpec spec, ModelPools.PoolStats pool,
                        io.slmserve.core.EmbeddingSetup embedding) {
}
