package io.slmserve.hf;

import com.fasterxml.jackson.databind.JsonNode;
import io.slmserve.core.GenerationDefaults;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * generation_config.json: the sampling defaults the model's authors chose and its end-of-sequence ids (which
 * Hugging Face's generate() prefers over config.json's: Llama-3-8B-Instruct adds {@code <|eot_id|>} only here).
 */
record GenerationConfigFile(GenerationDefaults defaults, List<Long> eosTokenIds) {

    private static final String FILE = "generation_config.json";

    static GenerationConfigFile read(Path dir) throws IOException {
        JsonNode g = HfJson.readOptional(dir.resolve(FILE));
        try {
            GenerationDefaults defaults = new GenerationDefaults(bool(g, "do_sample"), number(g, "temperature"),
                    number(g, "top_p"), integer(g, "top_k"), number(g, "min_p"), number(g, "repetition_penalty"),
                    integer(g, "max_new_tokens"));
            return new GenerationConfigFile(defaults, HfJson.ids(g.get("eos_token_id"), FILE, "eos_token_id"));
        } catch (IllegalArgumentException e) {
            throw new IOException(FILE + " " + e.getMessage(), e);
        }
    }

    private static Boolean bool(JsonNode g, String field) throws IOException {
        JsonNode v = g.get(field);
        if (v == null || v.isNull()) {
            return null;
        }
        if (!v.isBoolean()) {
            throw new IOException(FILE + " " + field + " must be true or false, got " + v);
        }
        return v.booleanValue();
    }

    private static Double number(JsonNode g, String field) throws IOException {
        JsonNode v = g.get(field);
        if (v == null || v.isNull()) {
            return null;
        }
        if (!v.isNumber()) {
            throw new IOException(FILE + " " + field + " must be a number, got " + v);
        }
        return v.doubleValue();
    }

    private static Integer integer(JsonNode g, String field) throws IOException {
        JsonNode v = g.get(field);
        if (v == null || v.isNull()) {
            return null;
        }
        if (!v.isIntegralNumber() || !v.canConvertToInt()) {
            throw new IOException(FILE + " " + field + " must be an integer, got " + v);
        }
        return v.intValue();
    }
}
