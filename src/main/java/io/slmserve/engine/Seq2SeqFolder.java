package io.slmserve.engine;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The encoder-decoder fields of a BART folder's config.json ({@code vocab_size}, {@code max_position_embeddings},
 * the special ids) and tokenizer_config.json's special token texts (optional).
 */
record Seq2SeqFolder(int vocabSize, int positions, long eosTokenId, long decoderStartTokenId, long padTokenId,
                     String eosToken, String bosToken) {

    private static final ObjectMapper JSON = new ObjectMapper();

    static Seq2SeqFolder read(Path dir) throws IOException {
        Path configFile = dir.resolve("config.json");
        if (!Files.isRegularFile(configFile)) {
            throw new IOException("missing config.json");
        }
        JsonNode config = JSON.readTree(configFile.toFile());
        int vocab = config.path("vocab_size").asInt(-1);
        int positions = config.path("max_position_embeddings").asInt(-1);
        long start = config.path("decoder_start_token_id").asLong(-1);
        if (vocab <= 0 || positions <= 0 || start < 0 || start >= vocab) {
            throw new IOException("config.json needs vocab_size, max_position_embeddings and a decoder_start_token_id "
                    + "inside the vocabulary");
        }
        Path tokenizerConfig = dir.resolve("tokenizer_config.json");
        JsonNode tc = Files.isRegularFile(tokenizerConfig) ? JSON.readTree(tokenizerConfig.toFile())
                : JSON.createObjectNode();
        return new Seq2SeqFolder(vocab, positions, config.path("eos_token_id").asLong(-1), start,
                Math.max(0, config.path("pad_token_id").asLong(0)), text(tc.path("eos_token")),
                text(tc.path("bos_token")));
    }

    /** A special token is written either as a string or as an AddedToken object with "content". */
    private static String text(JsonNode node) {
        if (node.isTextual()) {
            return node.asText();
        }
        return node.path("content").isTextual() ? node.path("content").asText() : "";
    }
}
