package io.slmserve.core;

/**
 * A loaded generative checkpoint with a slot KV cache: a decoder (GPT family) or an encoder-decoder (BART
 * family, {@link DecoderInfo#encoderDecoder()}), whose sessions the same scheduler drives. Thread-safe; forward
 * passes go through per-worker sessions, each owning its own cache of {@link DecoderInfo#slots()} sequences.
 */
public interface CausalLmBackend {

    /** A session for one worker thread, with its cache allocated; the caller closes it. */
    DecoderSession openSession();

    DecoderInfo info();

    /** The LoRA targets the archive takes, or null when it cannot serve adapters (an older or seq2seq archive). */
    default LoraTargets loraTargets() {
        return null;
    }
}
