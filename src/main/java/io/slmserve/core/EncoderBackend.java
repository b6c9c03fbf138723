package io.slmserve.core;

import java.util.List;

/** A loaded encoder checkpoint. Thread-safe; forward passes go through per-worker sessions. */
public interface EncoderBackend {

    /** A session for one worker thread; call it on that thread (libtorch thread settings are per thread). */
    EncoderSession openSession();

    /** Width of the pooled embedding (embedding models). */
    int hiddenSize();

    /** Class names by index from config.json id2label; empty for models without a classification head. */
    List<String> labels();

    /** Embedding models: pooling, default normalisation and prompts from the folder; null otherwise. */
    default EmbeddingSetup embedding() {
        return null;
    }
}
