package io.slmserve.core;

/** A loaded encoder checkpoint. Thread-safe; forward passes go through per-worker sessions. */
public interface EncoderBackend {

    /** A session for one worker thread; the caller closes it. */
    EncoderSession openSession();

    int hiddenSize();
}
