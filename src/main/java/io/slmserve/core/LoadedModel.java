package io.slmserve.core;

import java.util.Objects;

/**
 * A model that loaded: its spec, tokenizer and family backend, plus what must be released on unload.
 *
 * @param encoder present for encoder-family models
 * @param decoder present for generative models: decoders (text-generation) and encoder-decoders
 *                (text2text-generation)
 */
public record LoadedModel(ModelSpec spec, TextTokenizer tokenizer, EncoderBackend encoder, CausalLmBackend decoder,
                          AutoCloseable resources) implements AutoCloseable {

    public LoadedModel {
        Objects.requireNonNull(spec, "spec");
        Objects.requireNonNull(tokenizer, "tokenizer");
        Objects.requireNonNull(resources, "resources");
    }

    /** An encoder-family model. */
    public LoadedModel(ModelSpec spec, TextTokenizer tokenizer, EncoderBackend encoder, AutoCloseable resources) {
        this(spec, tokenizer, encoder, null, resources);
    }

    @Override
    public void close() throws Exception {
        resources.close();
    }
}
