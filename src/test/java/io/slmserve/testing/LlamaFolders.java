package io.slmserve.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Random-weight Llama-family folders written at test time: models/tools/tiny_llama_folders.py (run by
 * /usr/bin/python3, torch 1.13) writes a Hugging Face snapshot of each shape with
 * models/tools/slmtorch/random_snapshot.py and converts it with models/tools/convert.py, as a user would.
 */
public final class LlamaFolders {

    /** Every model_type with its variants: tied / untied, GQA 4/2 and 4/1, llama3 rope, biases, q/k norm, phi3. */
    public static final List<String> SHAPES = List.of("llama-tiny", "llama-tiny-untied", "llama3-tiny",
            "mistral-tiny", "qwen2-tiny", "qwen3-tiny", "phi3-tiny", "gemma-tiny", "gemma2-tiny", "gemma3-tiny");

    private LlamaFolders() {
    }

    /** Writes the served folders ROOT/SHAPE (and snapshots ROOT/SHAPE-hf) into a new temporary directory. */
    public static Path build(List<String> shapes) {
        try {
            Path root = Files.createTempDirectory("slm-llama-");
            List<String> command = new ArrayList<>(List.of("/usr/bin/python3",
                    Path.of("models/tools/tiny_llama_folders.py").toAbsolutePath().toString(), root.toString()));
            command.addAll(shapes);
            Process python = new ProcessBuilder(command).redirectErrorStream(true).start();
            String output = new String(python.getInputStream().readAllBytes());
            if (python.waitFor() != 0) {
                throw new IllegalStateException("tiny_llama_folders.py failed: " + output);
            }
            root.toFile().deleteOnExit();
            return root;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
