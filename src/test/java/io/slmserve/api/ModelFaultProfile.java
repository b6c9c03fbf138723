package io.slmserve.api;

import io.quarkus.test.junit.QuarkusTestProfile;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * A models folder with the real MiniLM next to {@value #FAULTY}: a TorchScript encoder built here by
 * /usr/bin/python3 (torch 1.13) from src/test/resources/faults/faulty_encoder.py that loads and warms up but
 * raises inside forward for token id {@value #POISON}, as a corrupted checkpoint would for some inputs.
 */
public class ModelFaultProfile implements QuarkusTestProfile {

    static final String FAULTY = "faulty-encoder";
    static final String GOOD = "minilm";
    static final long POISON = 7777;
    static final int HIDDEN = 8;

    @Override
    public Map<String, String> getConfigOverrides() {
        return Map.of("slm.models-dir", build().toString());
    }

    private static Path build() {
        try {
            Path root = Files.createTempDirectory("slm-fault-models-");
            Path source = Path.of("models/all-minilm-l6-v2").toAbsolutePath();
            Path good = Files.createDirectories(root.resolve(GOOD));
            for (String file : new String[] {"model.pt", "tokenizer.json", "config.json", "serving.properties"}) {
                Files.createSymbolicLink(good.resolve(file), source.resolve(file));
            }
            Path faulty = Files.createDirectories(root.resolve(FAULTY));
            Files.createSymbolicLink(faulty.resolve("tokenizer.json"), source.resolve("tokenizer.json"));
            Files.writeString(faulty.resolve("config.json"), Files.readString(source.resolve("config.json"))
                    .replaceAll("\"hidden_size\": \\d+", "\"hidden_size\": " + HIDDEN));
            Files.writeString(faulty.resolve("serving.properties"), """
                    engine=PyTorch
                    option.task=text-embedding
                    batch_size=8
                    max_batch_delay=20
                    job_queue_size=32
                    minWorkers=1
                    maxWorkers=1
                    max_input_tokens=64
                    """);
            Path script = Path.of("src/test/resources/faults/faulty_encoder.py").toAbsolutePath();
            Process python = new ProcessBuilder("/usr/bin/python3", script.toString(), faulty.toString(),
                    Long.toString(POISON), Integer.toString(HIDDEN)).redirectErrorStream(true).start();
            String output = new String(python.getInputStream().readAllBytes());
            if (python.waitFor() != 0 || !Files.isRegularFile(faulty.resolve("model.pt"))) {
                throw new IllegalStateException("could not build the faulty model: " + output);
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
