package io.slmserve.hf;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A folder's config.json: the architecture's sizes and the special token ids. The names differ by family
 * (GPT-2 {@code n_positions}, {@code n_embd}; BART {@code d_model}; Llama {@code max_position_embeddings}), so each
 * accessor tries the spellings in the order Hugging Face's config classes map them.
 *
 * @param json the whole file, for fields a family reads that this record does not name
 */
public record ModelConfig(String modelType, int vocabSize, int hiddenSize, int maxPositions, List<Long> eosTokenIds,
                          long bosTokenId, long padTokenId, long decoderStartTokenId, List<String> labels,
                          JsonNode json) {

    public ModelConfig {
        eosTokenIds = List.copyOf(eosTokenIds);
        labels = List.copyOf(labels);
    }

    static ModelConfig read(Path dir) throws IOException {
        Path file = dir.resolve("config.json");
        if (!Files.isRegularFile(file)) {
            throw new IOException("missing config.json");
        }
        JsonNode c = HfJson.readOptional(file);
        int vocab = HfJson.firstInt(c, "vocab_size");
        if (vocab <= 0) {
            throw new IOException("config.json has no vocab_size");
        }
        String f = "config.json";
        return new ModelConfig(c.path("model_type").asText(""), vocab,
                HfJson.firstInt(c, "hidden_size", "n_embd", "d_model", "dim"),
                HfJson.firstInt(c, "n_positions", "max_position_embeddings", "n_ctx"),
                HfJson.ids(c.get("eos_token_id"), f, "eos_token_id"), HfJson.id(c.get("bos_token_id"), f, "bos_token_id"),
                HfJson.id(c.get("pad_token_id"), f, "pad_token_id"),
                HfJson.id(c.get("decoder_start_token_id"), f, "decoder_start_token_id"), labels(c), c);
    }

    /** architectures[0] names a causal LM (…ForCausalLM, …LMHeadModel): a decoder, e.g. served as an embedder. */
    public boolean causalLm() {
        String architecture = json.path("architectures").path(0).asText("");
        return architecture.endsWith("ForCausalLM") || architecture.endsWith("LMHeadModel");
    }

    /** id2label in index order; empty when absent. */
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
}
