package io.slmserve.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Reads a model folder's heldout.jsonl (examples never seen in training). */
public final class HeldOut {

    private static final ObjectMapper JSON = new ObjectMapper();

    private HeldOut() {
    }

    public static List<JsonNode> read(String model) {
        Path file = Path.of("models", model, "heldout.jsonl");
        try {
            List<JsonNode> lines = new ArrayList<>();
            for (String line : Files.readAllLines(file)) {
                if (!line.isBlank()) {
                    lines.add(JSON.readTree(line));
                }
            }
            return lines;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
