package io.slmserve.hf;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * What tokenizer.json says about special tokens: its added tokens (text to id) and whether its post-processor
 * puts a special token in front of every single sequence (Llama-3's TemplateProcessing adds
 * {@code <|begin_of_text|>}). Streamed, stopping after those two top-level fields: the vocabulary and merges
 * behind them are megabytes the serving path never needs from here.
 *
 * @param addedTokens  added token text to id
 * @param prefixToken  the special token the post-processor prepends to a single sequence, or null
 * @param prefixId     its id, or -1
 */
record TokenizerJsonHeader(Map<String, Long> addedTokens, String prefixToken, long prefixId) {

    static final TokenizerJsonHeader NONE = new TokenizerJsonHeader(Map.of(), null, -1);

    static TokenizerJsonHeader read(Path file) throws IOException {
        if (!Files.isRegularFile(file)) {
            return NONE;
        }
        JsonNode added = null;
        JsonNode post = null;
        try (JsonParser parser = HfJson.JSON.createParser(file.toFile())) {
            if (parser.nextToken() != JsonToken.START_OBJECT) {
                throw new IOException("tokenizer.json must hold a JSON object");
            }
            while (parser.nextToken() == JsonToken.FIELD_NAME && (added == null || post == null)) {
                String name = parser.currentName();
                parser.nextToken();
                if ("added_tokens".equals(name)) {
                    added = parser.readValueAsTree();
                } else if ("post_processor".equals(name)) {
                    post = parser.readValueAsTree();
                } else {
                    parser.skipChildren();
                }
            }
        }
        Map<String, Long> ids = new HashMap<>();
        if (added != null) {
            for (JsonNode token : added) {
                if (token.path("content").isTextual() && token.path("id").isIntegralNumber()) {
                    ids.put(token.get("content").asText(), token.get("id").asLong());
                }
            }
        }
        JsonNode template = template(post);
        String prefix = null;
        long prefixId = -1;
        if (template != null) {
            JsonNode first = template.path("single").path(0).get("SpecialToken");
            if (first != null && first.path("id").isTextual()) {
                prefix = first.get("id").asText();
                JsonNode special = template.path("special_tokens").path(prefix).path("ids").path(0);
                prefixId = special.isIntegralNumber() ? special.asLong() : ids.getOrDefault(prefix, -1L);
            }
        }
        return new TokenizerJsonHeader(Map.copyOf(ids), prefix, prefixId);
    }

    /** The TemplateProcessing step, alone or inside a Sequence of processors (Llama-3: ByteLevel, Template). */
    private static JsonNode template(JsonNode post) {
        if (post == null || post.isNull()) {
            return null;
        }
        String type = post.path("type").asText();
        if ("TemplateProcessing".equals(type)) {
            return post;
        }
        if ("Sequence".equals(type)) {
            for (JsonNode step : post.path("processors")) {
                JsonNode found = template(step);
                if (found != null) {
                    return found;
                }
            }
        }
        return null;
    }

    /** The id of an added token's text, or -1. */
    long idOf(String text) {
        return text == null ? -1 : addedTokens.getOrDefault(text, -1L);
    }
}
