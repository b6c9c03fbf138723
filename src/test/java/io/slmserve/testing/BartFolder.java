package io.slmserve.testing;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Where the encoder-decoder checkpoint for tests lives: {@code models/nano-bart} in the project, or the folder
 * named by the system property {@code test.bart-dir} (environment {@code TEST_BART_DIR}), e.g. the tiny random
 * BART that {@code models/tools/train_nano_bart.py --tiny-random DIR} writes.
 */
public final class BartFolder {

    private BartFolder() {
    }

    public static Path dir() {
        String configured = System.getProperty("test.bart-dir", System.getenv("TEST_BART_DIR"));
        Path dir = Path.of(configured == null || configured.isBlank() ? "models/nano-bart" : configured)
                .toAbsolutePath();
        if (!Files.isRegularFile(dir.resolve("model.pt"))) {
            throw new IllegalStateException("no encoder-decoder checkpoint at " + dir);
        }
        return dir;
    }

    /** True for the trained nano-bart (with its held-out numbers), false for a random stand-in. */
    public static boolean trained() {
        return Files.isRegularFile(dir().resolve("heldout.jsonl"));
    }
}
