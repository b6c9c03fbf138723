package io.slmserve.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * T5 checkpoints for tests: {@code models/nano-t5} (trained, v1.1 layout), and tiny random-weight T5 folders that
 * {@code models/tools/train_nano_t5.py --tiny-random DIR --variant v1.0|v1.1} writes at test time through the
 * real converter (a random Hugging Face snapshot, then convert_t5.py), with torch 1.13 from /usr/bin/python3.
 */
public final class T5Folder {

    private T5Folder() {
    }

    public static Path nano() {
        return Path.of("models/nano-t5").toAbsolutePath();
    }

    /** True when the trained nano-t5 (with its held-out numbers) is present. */
    public static boolean trained() {
        return Files.isRegularFile(nano().resolve("model.pt")) && Files.isRegularFile(nano().resolve("heldout.jsonl"));
    }

    /** Writes a tiny random T5 ("v1.0": relu, tied head scaled by d_model^-0.5; "v1.1": gated-gelu, untied). */
    public static Path tinyRandom(String variant) throws IOException, InterruptedException {
        Path dir = Files.createTempDirectory("slm-t5-" + variant + "-");
        Process python = new ProcessBuilder("/usr/bin/python3", "models/tools/train_nano_t5.py", "--threads", "1",
                "--tiny-random", dir.toString(), "--variant", variant).redirectErrorStream(true).start();
        String output = new String(python.getInputStream().readAllBytes());
        if (python.waitFor() != 0 || !Files.isRegularFile(dir.resolve("model.pt"))) {
            throw new IllegalStateException("train_nano_t5.py --tiny-random failed:\n" + output);
        }
        return dir;
    }
}
