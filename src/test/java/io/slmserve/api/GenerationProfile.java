package io.slmserve.api;

import io.quarkus.test.junit.QuarkusTestProfile;
import io.slmserve.testing.GptFolder;
import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Properties;

/**
 * A models folder holding only the decoder (models/nano-gpt, or the folder named by test.gpt-dir), linked
 * file by file, with 4 cache slots and a queue of 8 so that batching and cancellation are visible, and
 * slm.limits.max-new-tokens at 480.
 */
public class GenerationProfile implements QuarkusTestProfile {

    static final String MODEL = "nano-gpt";
    static final int SLOTS = 4;
    /** Below the model's max_total_tokens (512), so the server's cap is what a long request meets first. */
    static final int MAX_NEW_TOKENS = 480;

    @Override
    public Map<String, String> getConfigOverrides() {
        return Map.of("slm.models-dir", build().toString(), "slm.limits.max-new-tokens", Integer.toString(MAX_NEW_TOKENS));
    }

    private static Path build() {
        try {
            Path source = GptFolder.dir();
            Path root = Files.createTempDirectory("slm-gen-models-");
            Path dir = Files.createDirectories(root.resolve(MODEL));
            for (String file : new String[] {"model.pt", "tokenizer.json", "config.json", "tokenizer_config.json"}) {
                if (Files.exists(source.resolve(file))) {
                    Files.createSymbolicLink(dir.resolve(file), source.resolve(file));
                }
            }
            Properties props = new Properties();
            try (Reader reader = Files.newBufferedReader(source.resolve("serving.properties"))) {
                props.load(reader);
            }
            props.setProperty("batch_size", Integer.toString(SLOTS));
            props.setProperty("job_queue_size", "8");
            props.setProperty("minWorkers", "1");
            props.setProperty("maxWorkers", "1");
            props.remove("max_batch_tokens");
            StringBuilder text = new StringBuilder();
            props.stringPropertyNames().stream().sorted()
                    .forEach(k -> text.append(k).append('=').append(props.getProperty(k)).append('\n'));
            Files.writeString(dir.resolve("serving.properties"), text);
            root.toFile().deleteOnExit();
            return root;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
