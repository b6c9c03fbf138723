package io.slmserve.core;

/** Why a model folder could not become READY; the message is shown by the model list. */
public class ModelLoadException extends Exception {

    public ModelLoadException(String message) {
        super(message);
    }

    public ModelLoadException(String message, Throwable cause) {
        super(message, cause);
    }
}
