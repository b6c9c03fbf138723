package io.slmserve.engine;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The few fields of a folder's Hugging Face config.json (and tokenizer_config.json) the engine needs.
 *
 * @param labels    id2label in index order, empty when absent
 * @param maskToken tokenizer_config.json mask_token, or null
 * @param modelType config.json model_type, or null
 * @param causalLm  architectures[0] is a causal LM (…ForCausalLM, …LMHeadModel): a decoder
 */
record ModelConfigJson(int vocabSize, int hiddenSize, List<String> labels, String maskToken, String modelType,
                       boolean causalLm) {

    private static final ObjectMapper JSON = new ObjectMapper();

    static ModelConfigJson read(Path dir) throws IOException {
        Path file = dir.resolve("config.json");
        if (!Files.isRegularFile(file)) {
            throw new IOException("missing config.json");
        }
        JsonNode node = JSON.readTree(file.toFile());
        int vocab = firstInt(node, "vocab_size");
        if (vocab <= 0) {
            throw new IOException("config.json has no vocab_size");
        }
        return new ModelConfigJson(vocab, firstInt(node, "hidden_size", "n_embd", "d_model", "dim"), labels(node),
                maskToken(dir.resolve("tokenizer_config.json")), node.path("model_type").asText(null),
                causalLm(node.path("architectures").path(0).asText("")));
    }

    private static List<String> labels(JsonNode config) throws IOException {
        JsonNode id2label = config.get("id2label");
        List<String> labels = new ArrayList<>();
        if (id2label == null || !id2label.isObject()) {
            return labels;
        }
        for (int i = 0; i < id2label.size(); i++) {
            JsonNode label = id2label.get(Integer.toString(i));
            if (label == null || !label.isTextual()) {
                throw new IOException("config.json id2label must map \"0\".." + (id2label.size() - 1) + " to names");
            }
            labels.add(label.textValue());
        }
        return labels;
    }

    private static boolean causalLm(String architecture) {
        return architecture.endsWith("ForCausalLM") || architecture.endsWith("LMHeadModel");
    }

    private static String maskToken(Path tokenizerConfig) throws IOException {
        if (!Files.isRegularFile(tokenizerConfig)) {
            return null;
        }
        JsonNode mask = JSON.readTree(tokenizerConfig.toFile()).get("mask_token");
        if (mask == null || mask.isNull()) {
            return null;
        }
        return mask.isTextual() ? mask.textValue() : mask.path("content").asText(null);
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
