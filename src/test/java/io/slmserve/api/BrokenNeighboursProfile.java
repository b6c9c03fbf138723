package io.slmserve.api;

import io.quarkus.test.junit.QuarkusTestProfile;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * A models folder with one good model (the real MiniLM with a queue of 2 and one worker) next to three
 * broken ones: no model.pt, a corrupt model.pt, and a malformed serving.properties.
 */
public class BrokenNeighboursProfile implements QuarkusTestProfile {

    static final String GOOD = "minilm-q2";

    @Override
    public Map<String, String> getConfigOverrides() {
        return Map.of("slm.models-dir", build().toString());
    }

    private static Path build() {
        try {
            Path root = Files.createTempDirectory("slm-models-");
            Path source = Path.of("models/all-minilm-l6-v2").toAbsolutePath();
            Path good = linked(root, GOOD, source, "model.pt");
            Files.writeString(good.resolve("serving.properties"), """
                    engine=PyTorch
                    option.task=text-embedding
                    batch_size=1
                    max_batch_delay=0
                    job_queue_size=2
                    minWorkers=1
                    maxWorkers=1
                    max_input_tokens=256
                    """);
            Path missing = Files.createDirectories(root.resolve("broken-missing-model"));
            Files.writeString(missing.resolve("serving.properties"), "option.task=text-embedding\n");
            Path corrupt = linked(root, "broken-corrupt", source);
            Files.write(corrupt.resolve("model.pt"), "this is not a TorchScript archive".getBytes());
            Files.writeString(corrupt.resolve("serving.properties"), "option.task=text-embedding\n");
            Path badProps = linked(root, "broken-properties", source, "model.pt");
            Files.writeString(badProps.resolve("serving.properties"), "option.task=text-embedding\nbatch_size=lots\n");
            root.toFile().deleteOnExit();
            return root;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static Path linked(Path root, String name, Path source, String... extra) throws IOException {
        Path dir = Files.createDirectories(root.resolve(name));
        for (String file : new String[] {"tokenizer.json", "config.json"}) {
            Files.createSymbolicLink(dir.resolve(file), source.resolve(file));
        }
        for (String file : extra) {
            Files.createSymbolicLink(dir.resolve(file), source.resolve(file));
        }
        return dir;
    }
}
