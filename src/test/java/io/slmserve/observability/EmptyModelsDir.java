package io.slmserve.observability;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** A models folder with nothing in it: the logging and tracing tests need requests, not models, so start fast. */
final class EmptyModelsDir {

    private EmptyModelsDir() {
    }

    static String create() {
        try {
            Path dir = Files.createTempDirectory("slm-no-models-");
            dir.toFile().deleteOnExit();
            return dir.toString();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
