package io.slmserve.engine;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The decoder-specific fields of a GPT-2 folder: config.json ({@code n_positions}, {@code eos_token_id}) and
 * tokenizer_config.json (special token texts and the chat template; optional).
 */
record DecoderFolder(int vocabSize, int positions, long eosTokenId, String eosToken, String bosToken,
                     String chatTemplate) {

    private static final ObjectMapper JSON = new ObjectMapper();

    static DecoderFolder read(Path dir) throws IOException {
        Path configFile = dir.resolve("config.json");
        if (!Files.isRegularFile(configFile)) {
            throw new IOException("missing config.json");
        }
        JsonNode config = JSON.readTree(configFile.toFile());
        int vocab = config.path("vocab_size").asInt(-1);
        int positions = config.has("n_positions") ? config.path("n_positions").asInt(-1)
                : config.path("max_position_embeddings").asInt(-1);
        if (vocab <= 0 || positions <= 0) {
            throw new IOException("config.json needs vocab_size and n_positions");
        }
        JsonNode eosNode = config.path("eos_token_id");
        // Llama-3 lists several eos ids; until the HF metadata reader serves them all, the first one ends generation
        long eos = (eosNode.isArray() ? eosNode.path(0) : eosNode).asLong(-1);
        Path tokenizerConfig = dir.resolve("tokenizer_config.json");
        JsonNode tc = Files.isRegularFile(tokenizerConfig) ? JSON.readTree(tokenizerConfig.toFile())
                : JSON.createObjectNode();
        String template = tc.path("chat_template").isTextual() ? tc.path("chat_template").asText() : null;
        return new DecoderFolder(vocab, positions, eos, tokenText(tc.path("eos_token")),
                tokenText(tc.path("bos_token")), template);
    }

    /** A special token is written either as a string or as an AddedToken object with "content". */
    private static String tokenText(JsonNode node) {
        if (node.isTextual()) {
            return node.asText();
        }
        return node.path("content").isTextual() ? node.path("content").asText() : "";
    }
}
