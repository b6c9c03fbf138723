package io.slmserve.registry;

import io.slmserve.core.LoadedModel;

/**
 * Called by the registry when a model has loaded (before it is marked READY) and when it is removed.
 * The serving path implements it to start and stop the model's worker pool.
 */
public interface ModelActivation {

    void activate(LoadedModel model) throws Exception;

    void deactivate(String modelId);
}
