package io.slmserve.api;

import io.quarkus.test.junit.QuarkusTestProfile;
import io.slmserve.testing.BartFolder;
import io.slmserve.testing.GptFolder;
import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Properties;

/**
 * A models folder with the encoder-decoder (models/nano-bart, or test.bart-dir) with 16 slots, next to the
 * decoder (models/nano-gpt, or test.gpt-dir) with 4 slots, linked file by file: seq2seq and beam search on
 * both families, and which one answers a request that names no model.
 */
public class Seq2SeqProfile implements QuarkusTestProfile {

    static final String BART = "nano-bart";
    static final String GPT = "nano-gpt";
    static final int BART_SLOTS = 16;
    static final int GPT_SLOTS = 4;

    @Override
    public Map<String, String> getConfigOverrides() {
        try {
            Path root = Files.createTempDirectory("slm-seq2seq-models-");
            link(BartFolder.dir(), root.resolve(BART), BART_SLOTS, 64);
            link(GptFolder.dir(), root.resolve(GPT), GPT_SLOTS, 16);
            root.toFile().deleteOnExit();
            return Map.of("slm.models-dir", root.toString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void link(Path source, Path dir, int slots, int queue) throws IOException {
        Files.createDirectories(dir);
        for (String file : new String[] {"model.pt", "tokenizer.json", "config.json", "tokenizer_config.json"}) {
            if (Files.exists(source.resolve(file))) {
                Files.createSymbolicLink(dir.resolve(file), source.resolve(file));
            }
        }
        Properties props = new Properties();
        try (Reader reader = Files.newBufferedReader(source.resolve("serving.properties"))) {
            props.load(reader);
        }
        props.setProperty("batch_size", Integer.toString(slots));
        props.setProperty("job_queue_size", Integer.toString(queue));
        props.setProperty("minWorkers", "1");
        props.setProperty("maxWorkers", "1");
        props.remove("max_batch_tokens");
        StringBuilder text = new StringBuilder();
        props.stringPropertyNames().stream().sorted()
                .forEach(k -> text.append(k).append('=').append(props.getProperty(k)).append('\n'));
        Files.writeString(dir.resolve("serving.properties"), text);
    }
}
