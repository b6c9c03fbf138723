package io.slmserve.hf;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Small readers for the shapes Hugging Face files use for one value in several spellings. */
final class HfJson {

    static final ObjectMapper JSON = new ObjectMapper();

    private HfJson() {
    }

    /** The file's JSON object, an empty object when the file is absent; a file that is not an object fails. */
    static JsonNode readOptional(Path file) throws IOException {
        if (!Files.isRegularFile(file)) {
            return JSON.createObjectNode();
        }
        JsonNode node;
        try {
            node = JSON.readTree(file.toFile());
        } catch (IOException e) {
            throw new IOException(file.getFileName() + " is not valid JSON: " + e.getMessage(), e);
        }
        if (node == null || !node.isObject()) {
            throw new IOException(file.getFileName() + " must hold a JSON object");
        }
        return node;
    }

    /** A token id written as a number or a list of numbers (Llama-3's eos_token_id), absent or null: empty. */
    static List<Long> ids(JsonNode node, String file, String field) throws IOException {
        List<Long> out = new ArrayList<>();
        if (node == null || node.isNull() || node.isMissingNode()) {
            return out;
        }
        if (node.isIntegralNumber()) {
            out.add(nonNegative(node.asLong(), file, field));
            return out;
        }
        if (node.isArray()) {
            for (JsonNode item : node) {
                if (!item.isIntegralNumber()) {
                    throw new IOException(file + " " + field + " must be a token id or a list of token ids, got "
                            + node);
                }
                long id = nonNegative(item.asLong(), file, field);
                if (!out.contains(id)) {
                    out.add(id);
                }
            }
            return out;
        }
        throw new IOException(file + " " + field + " must be a token id or a list of token ids, got " + node);
    }

    /** The only id of a field that may hold one, or -1. */
    static long id(JsonNode node, String file, String field) throws IOException {
        List<Long> ids = ids(node, file, field);
        return ids.isEmpty() ? -1 : ids.get(0);
    }

    private static long nonNegative(long id, String file, String field) throws IOException {
        if (id < 0) {
            throw new IOException(file + " " + field + " must be >= 0, got " + id);
        }
        return id;
    }

    /** A special token written as a string or as an AddedToken object ({"content": ...}); null when absent. */
    static String tokenText(JsonNode node) {
        if (node == null || node.isNull() || node.isMissingNode()) {
            return null;
        }
        if (node.isTextual()) {
            return node.asText();
        }
        JsonNode content = node.get("content");
        return content != null && content.isTextual() ? content.asText() : null;
    }

    /** The first of several names that holds a positive integer (e.g. n_positions or max_position_embeddings). */
    static int firstInt(JsonNode node, String... names) {
        for (String name : names) {
            JsonNode value = node.get(name);
            if (value != null && value.canConvertToInt() && value.isIntegralNumber()) {
                return value.asInt();
            }
        }
        return -1;
    }
}
