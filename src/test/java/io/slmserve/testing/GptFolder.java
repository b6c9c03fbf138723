package io.slmserve.testing;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Where the decoder checkpoint for tests lives: {@code models/nano-gpt} in the project, or the folder named by
 * the system property {@code test.gpt-dir} (environment {@code TEST_GPT_DIR}), e.g. a tiny random GPT-2.
 */
public final class GptFolder {

    private GptFolder() {
    }

    public static Path dir() {
        String configured = System.getProperty("test.gpt-dir", System.getenv("TEST_GPT_DIR"));
        Path dir = Path.of(configured == null || configured.isBlank() ? "models/nano-gpt" : configured)
                .toAbsolutePath();
        if (!Files.isRegularFile(dir.resolve("model.pt"))) {
            throw new IllegalStateException("no decoder checkpoint at " + dir);
        }
        return dir;
    }

    /** True for the trained nano-gpt (held-out text and a model card), false for a random stand-in. */
    public static boolean trained() {
        return Files.isRegularFile(dir().resolve("heldout.txt")) && Files.isRegularFile(dir().resolve("README.md"));
    }
}
