package io.slmserve.core;

/** Turns a validated model spec into a loaded, warmed model. Implemented by the engine package. */
public interface BackendFactory {

    /**
     * Loads the checkpoint and tokenizer and runs one real forward pass.
     *
     * @throws ModelLoadException with a reason a person can act on
     */
    LoadedModel load(ModelSpec spec) throws ModelLoadException;
}
