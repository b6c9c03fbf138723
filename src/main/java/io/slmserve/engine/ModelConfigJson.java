package io.slmserve.engine;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** The few fields of a folder's Hugging Face config.json the engine needs. */
record ModelConfigJson(int vocabSize, int hiddenSize) {

    private static final ObjectMapper JSON = new ObjectMapper();

    static ModelConfigJson read(Path dir) throws IOException {
        Path file = dir.resolve("config.json");
        if (!Files.isRegularFile(file)) {
            throw new IOException("missing config.json");
        }
        JsonNode node = JSON.readTree(file.toFile());
        int vocab = firstInt(node, "vocab_size");
        int hidden = firstInt(node, "hidden_size", "n_embd", "d_model");
        if (vocab <= 0) {
            throw new IOException("config.json has no vocab_size");
        }
        return new ModelConfigJson(vocab, hidden);
    }

    private static int firstInt(JsonNode node, String... names) {
        for (String name : names) {
            if (node.hasNonNull(name) && node.get(name).canConvertToInt()) {
                return node.get(name).asInt();
            }
        }
        return -1;
    }
}
