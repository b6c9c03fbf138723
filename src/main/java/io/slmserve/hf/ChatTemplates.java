package io.slmserve.hf;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Resolves a folder's chat template as transformers does: chat_template.jinja, when present, wins over
 * tokenizer_config.json's chat_template; that field is a string, or a list of {"name", "template"} entries of
 * which the one named "default" is used (transformers refuses to pick one when none is named "default"; so do we:
 * the folder then has no chat template).
 */
final class ChatTemplates {

    static final String JINJA_FILE = "chat_template.jinja";

    private ChatTemplates() {
    }

    /** The template source, or null when the folder has none. */
    static String resolve(Path dir, JsonNode field) throws IOException {
        Path jinja = dir.resolve(JINJA_FILE);
        if (Files.isRegularFile(jinja)) {
            return Files.readString(jinja, StandardCharsets.UTF_8);
        }
        if (field == null || field.isNull()) {
            return null;
        }
        if (field.isTextual()) {
            return field.asText();
        }
        if (field.isArray()) {
            for (JsonNode entry : field) {
                if (!entry.path("name").isTextual() || !entry.path("template").isTextual()) {
                    throw new IOException("tokenizer_config.json chat_template entries must be "
                            + "{\"name\": ..., \"template\": ...}");
                }
                if ("default".equals(entry.get("name").asText())) {
                    return entry.get("template").asText();
                }
            }
            return null;
        }
        throw new IOException("tokenizer_config.json chat_template must be a string or a list of named templates");
    }
}
