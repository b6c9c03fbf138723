package io.slmserve.core;

import java.util.Map;

/**
 * How an embedding model's folder says its vectors are made, resolved at load.
 *
 * @param pooling           the pooling mode
 * @param normalize         whether vectors are L2-normalised when a request does not say (a Normalize module)
 * @param source            where the pooling came from, for GET /models/{id}
 * @param prompts           sentence-transformers prompts by name (config_sentence_transformers.json), may be empty
 * @param defaultPromptName the prompt applied when a request names none, or null
 */
public record EmbeddingSetup(Pooling pooling, boolean normalize, String source, Map<String, String> prompts,
                             String defaultPromptName) {

    public EmbeddingSetup {
        prompts = Map.copyOf(prompts);
    }
}
