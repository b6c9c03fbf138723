package io.slmserve.hf;

import com.fasterxml.jackson.databind.JsonNode;
import io.slmserve.core.GenerationDefaults;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Everything the server learns from a Hugging Face folder's metadata files, read once at load:
 * config.json (required), generation_config.json, tokenizer_config.json, special_tokens_map.json,
 * chat_template.jinja and tokenizer.json's added tokens and post-processor. Any file present but malformed fails
 * the read with a message naming the file and field; absent optional files mean "not declared".
 */
public final class HfModelFolder {

    /** How {@link #bosSource()} names where the BOS decision came from. */
    public static final String BOS_FROM_ADD_BOS_TOKEN = "tokenizer_config.json add_bos_token";
    public static final String BOS_FROM_POST_PROCESSOR = "tokenizer.json post_processor";

    private final Path dir;
    private final ModelConfig config;
    private final GenerationConfigFile generation;
    private final TokenizerSettings tokenizer;
    private final TokenizerJsonHeader tokenizerJson;
    private final String chatTemplate;
    private final SpecialToken addedBos;
    private final String bosSource;

    private HfModelFolder(Path dir) throws IOException {
        this.dir = dir;
        this.config = ModelConfig.read(dir);
        this.generation = GenerationConfigFile.read(dir);
        this.tokenizer = TokenizerSettings.read(dir);
        this.tokenizerJson = TokenizerJsonHeader.read(dir.resolve("tokenizer.json"));
        this.chatTemplate = ChatTemplates.resolve(dir, tokenizer.chatTemplate());
        // add_bos_token, where the tokenizer config states it, decides (as LlamaTokenizerFast rebuilds its
        // post-processor from it); otherwise tokenizer.json's post-processor does.
        if (tokenizer.addBosToken() != null) {
            SpecialToken bos = bosToken();
            if (tokenizer.addBosToken() && !bos.hasId()) {
                throw new IOException("tokenizer_config.json add_bos_token is true but bos_token has no id in "
                        + "tokenizer.json's added tokens or config.json's bos_token_id");
            }
            this.addedBos = tokenizer.addBosToken() ? bos : SpecialToken.NONE;
            this.bosSource = BOS_FROM_ADD_BOS_TOKEN;
        } else if (tokenizerJson.prefixToken() != null && tokenizerJson.prefixId() >= 0) {
            // (An encoder's [CLS] reads the same way; only decoders act on it.)
            this.addedBos = new SpecialToken(tokenizerJson.prefixToken(), tokenizerJson.prefixId());
            this.bosSource = BOS_FROM_POST_PROCESSOR;
        } else {
            this.addedBos = SpecialToken.NONE;
            this.bosSource = null;
        }
    }

    /** Reads the folder's metadata; config.json must exist and name vocab_size. */
    public static HfModelFolder read(Path dir) throws IOException {
        return new HfModelFolder(dir);
    }

    public Path dir() {
        return dir;
    }

    /** config.json. */
    public ModelConfig config() {
        return config;
    }

    /** generation_config.json's sampling defaults; {@link GenerationDefaults#NONE} when the file is absent. */
    public GenerationDefaults generationDefaults() {
        return generation.defaults();
    }

    /**
     * Every id that ends generation: config.json's eos_token_id (a number or a list), generation_config.json's, and
     * the tokenizer's eos_token, in that order without repeats (vLLM stops at the union too). Empty when none.
     */
    public List<Long> eosTokenIds() {
        List<Long> ids = new ArrayList<>(config.eosTokenIds());
        for (long id : generation.eosTokenIds()) {
            if (!ids.contains(id)) {
                ids.add(id);
            }
        }
        long tokenizerEos = eosToken().id();
        if (tokenizerEos >= 0 && !ids.contains(tokenizerEos)) {
            ids.add(tokenizerEos);
        }
        return List.copyOf(ids);
    }

    public SpecialToken bosToken() {
        return token(tokenizer.bosToken(), config.bosTokenId());
    }

    /** The tokenizer's eos_token; its id falls back to config.json's first eos_token_id. */
    public SpecialToken eosToken() {
        return token(tokenizer.eosToken(), config.eosTokenIds().isEmpty() ? -1 : config.eosTokenIds().get(0));
    }

    public SpecialToken padToken() {
        return token(tokenizer.padToken(), config.padTokenId());
    }

    public SpecialToken unkToken() {
        return token(tokenizer.unkToken(), -1);
    }

    public SpecialToken maskToken() {
        return token(tokenizer.maskToken(), -1);
    }

    /** True when the tokenizer puts a BOS token in front of a prompt ({@link #addedBos()}). */
    public boolean addsBos() {
        return addedBos.hasId();
    }

    /** The token the tokenizer prepends to a prompt, {@link SpecialToken#NONE} when it adds none. */
    public SpecialToken addedBos() {
        return addedBos;
    }

    /** Which file decided {@link #addsBos()}: {@link #BOS_FROM_ADD_BOS_TOKEN}, {@link #BOS_FROM_POST_PROCESSOR}, or null. */
    public String bosSource() {
        return bosSource;
    }

    /** The chat template source (chat_template.jinja, else tokenizer_config.json's), or null when none. */
    public String chatTemplate() {
        return chatTemplate;
    }

    /** tokenizer_config.json as read (an empty object when absent), for fields not named here. */
    public JsonNode tokenizerConfigJson() {
        return tokenizer.json();
    }

    private SpecialToken token(String text, long configId) {
        if (text == null && configId < 0) {
            return SpecialToken.NONE;
        }
        long id = tokenizerJson.idOf(text);
        return new SpecialToken(text, id >= 0 ? id : configId);
    }
}
