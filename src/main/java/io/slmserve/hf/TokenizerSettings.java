package io.slmserve.hf;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Path;

/**
 * tokenizer_config.json merged with special_tokens_map.json: the special token texts (strings or AddedToken
 * objects; special_tokens_map.json wins where both name one, as transformers loads them) and the tokenizer's own
 * switches.
 *
 * @param addBosToken  tokenizer_config.json's add_bos_token, null when it does not say
 * @param chatTemplate the raw chat_template field (a string, a list of named templates, or missing)
 * @param json         the whole tokenizer_config.json, for fields this record does not name
 */
record TokenizerSettings(String bosToken, String eosToken, String padToken, String unkToken, String maskToken,
                         Boolean addBosToken, JsonNode chatTemplate, JsonNode json) {

    static TokenizerSettings read(Path dir) throws IOException {
        JsonNode tc = HfJson.readOptional(dir.resolve("tokenizer_config.json"));
        JsonNode map = HfJson.readOptional(dir.resolve("special_tokens_map.json"));
        JsonNode addBos = tc.get("add_bos_token");
        if (addBos != null && !addBos.isNull() && !addBos.isBoolean()) {
            throw new IOException("tokenizer_config.json add_bos_token must be true or false, got " + addBos);
        }
        return new TokenizerSettings(text(tc, map, "bos_token"), text(tc, map, "eos_token"), text(tc, map, "pad_token"),
                text(tc, map, "unk_token"), text(tc, map, "mask_token"),
                addBos == null || addBos.isNull() ? null : addBos.booleanValue(), tc.get("chat_template"), tc);
    }

    private static String text(JsonNode tokenizerConfig, JsonNode specialTokensMap, String field) {
        String mapped = HfJson.tokenText(specialTokensMap.get(field));
        return mapped != null ? mapped : HfJson.tokenText(tokenizerConfig.get(field));
    }
}
