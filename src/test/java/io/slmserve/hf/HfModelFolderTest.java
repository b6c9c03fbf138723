package io.slmserve.hf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.slmserve.core.GenerationDefaults;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The metadata reader on folders written here in the layouts real snapshots use (the files of Llama-3.2-1B-Instruct,
 * Llama-3-8B-Instruct, Llama-2 / TinyLlama, GPT-2 and models with several named chat templates, trimmed to the
 * fields read).
 */
class HfModelFolderTest {

    /** Llama-3's post-processor: ByteLevel, then a template that puts <|begin_of_text|> before every sequence. */
    private static final String LLAMA3_TOKENIZER = """
            {"version": "1.0", "truncation": null, "padding": null,
             "added_tokens": [
               {"id": 128000, "content": "<|begin_of_text|>", "special": true},
               {"id": 128001, "content": "<|end_of_text|>", "special": true},
               {"id": 128008, "content": "<|eom_id|>", "special": true},
               {"id": 128009, "content": "<|eot_id|>", "special": true}],
             "normalizer": null, "pre_tokenizer": {"type": "ByteLevel"},
             "post_processor": {"type": "Sequence", "processors": [
               {"type": "ByteLevel", "add_prefix_space": true, "trim_offsets": false, "use_regex": true},
               {"type": "TemplateProcessing",
                "single": [{"SpecialToken": {"id": "<|begin_of_text|>", "type_id": 0}},
                           {"Sequence": {"id": "A", "type_id": 0}}],
                "pair": [], "special_tokens": {"<|begin_of_text|>": {"id": "<|begin_of_text|>", "ids": [128000],
                                                                    "tokens": ["<|begin_of_text|>"]}}}]},
             "decoder": null, "model": {"type": "BPE", "vocab": {"a": 0}, "merges": []}}
            """;

    @TempDir
    Path dir;

    private void write(String file, String text) throws IOException {
        Files.writeString(dir.resolve(file), text);
    }

    @Test
    void llama32InstructListsThreeEosIdsAndAddsBosThroughItsPostProcessor() throws IOException {
        write("config.json", """
                {"model_type": "llama", "vocab_size": 128256, "hidden_size": 2048, "max_position_embeddings": 131072,
                 "bos_token_id": 128000, "eos_token_id": [128001, 128008, 128009]}""");
        write("generation_config.json", """
                {"bos_token_id": 128000, "do_sample": true, "eos_token_id": [128001, 128008, 128009],
                 "temperature": 0.6, "top_p": 0.9, "transformers_version": "4.45.0.dev0"}""");
        write("tokenizer_config.json", """
                {"bos_token": "<|begin_of_text|>", "eos_token": "<|eot_id|>",
                 "chat_template": "{{ bos_token }}{% for m in messages %}{{ m['content'] }}{% endfor %}",
                 "tokenizer_class": "PreTrainedTokenizerFast"}""");
        write("tokenizer.json", LLAMA3_TOKENIZER);

        HfModelFolder folder = HfModelFolder.read(dir);

        assertEquals(List.of(128001L, 128008L, 128009L), folder.eosTokenIds());
        assertEquals("llama", folder.config().modelType());
        assertEquals(131072, folder.config().maxPositions());
        assertEquals(2048, folder.config().hiddenSize());
        assertTrue(folder.addsBos());
        assertEquals(new SpecialToken("<|begin_of_text|>", 128000), folder.addedBos());
        assertEquals(HfModelFolder.BOS_FROM_POST_PROCESSOR, folder.bosSource());
        assertEquals(new SpecialToken("<|eot_id|>", 128009), folder.eosToken());
        assertEquals(new GenerationDefaults(true, 0.6, 0.9, null, null, null, null), folder.generationDefaults());
        assertTrue(folder.chatTemplate().startsWith("{{ bos_token }}"));
    }

    @Test
    void generationConfigEosIdsJoinConfigJsonsAsInLlama3Instruct() throws IOException {
        // Llama-3-8B-Instruct: config.json names <|end_of_text|> only, generation_config.json adds <|eot_id|>.
        write("config.json", "{\"vocab_size\": 128256, \"max_position_embeddings\": 8192, \"eos_token_id\": 128001}");
        write("generation_config.json", "{\"eos_token_id\": [128001, 128009], \"max_new_tokens\": 7}");
        write("tokenizer.json", LLAMA3_TOKENIZER);

        HfModelFolder folder = HfModelFolder.read(dir);

        assertEquals(List.of(128001L, 128009L), folder.eosTokenIds());
        assertEquals(7, folder.generationDefaults().maxNewTokens());
        assertNull(folder.generationDefaults().temperature());
        assertNull(folder.chatTemplate());
    }

    @Test
    void addedTokenObjectsGiveTextsAndSpecialTokensMapWins() throws IOException {
        write("config.json", "{\"vocab_size\": 32000, \"max_position_embeddings\": 2048, \"eos_token_id\": 2, "
                + "\"bos_token_id\": 1, \"pad_token_id\": 0}");
        write("tokenizer_config.json", """
                {"add_bos_token": true, "add_eos_token": false,
                 "bos_token": {"__type": "AddedToken", "content": "<s>", "lstrip": false, "normalized": false},
                 "eos_token": {"__type": "AddedToken", "content": "</s>", "lstrip": false, "normalized": false},
                 "pad_token": null, "unk_token": {"__type": "AddedToken", "content": "<unk>"}}""");
        write("special_tokens_map.json", """
                {"bos_token": {"content": "<s>", "single_word": false}, "pad_token": "</s>",
                 "unk_token": {"content": "<unk>"}}""");
        write("tokenizer.json", """
                {"version": "1.0", "added_tokens": [{"id": 0, "content": "<unk>"}, {"id": 1, "content": "<s>"},
                 {"id": 2, "content": "</s>"}], "post_processor": null, "model": {"type": "BPE"}}""");

        HfModelFolder folder = HfModelFolder.read(dir);

        assertEquals(new SpecialToken("<s>", 1), folder.bosToken());
        assertEquals(new SpecialToken("</s>", 2), folder.eosToken());
        // special_tokens_map.json sets pad_token where tokenizer_config.json has null.
        assertEquals(new SpecialToken("</s>", 2), folder.padToken());
        assertEquals(new SpecialToken("<unk>", 0), folder.unkToken());
        assertEquals(SpecialToken.NONE, folder.maskToken());
        assertTrue(folder.addsBos());
        assertEquals(new SpecialToken("<s>", 1), folder.addedBos());
        assertEquals(HfModelFolder.BOS_FROM_ADD_BOS_TOKEN, folder.bosSource());
        assertEquals(List.of(2L), folder.eosTokenIds());
    }

    @Test
    void addBosTokenFalseOverridesAPostProcessorThatAddsOne() throws IOException {
        write("config.json", "{\"vocab_size\": 128256, \"n_positions\": 1024, \"max_position_embeddings\": 8192}");
        write("tokenizer_config.json", "{\"add_bos_token\": false, \"bos_token\": \"<|begin_of_text|>\"}");
        write("tokenizer.json", LLAMA3_TOKENIZER);

        HfModelFolder folder = HfModelFolder.read(dir);

        assertFalse(folder.addsBos());
        assertEquals(SpecialToken.NONE, folder.addedBos());
        assertEquals(HfModelFolder.BOS_FROM_ADD_BOS_TOKEN, folder.bosSource());
        assertEquals(new SpecialToken("<|begin_of_text|>", 128000), folder.bosToken());
        assertEquals(1024, folder.config().maxPositions(), "GPT-2's n_positions comes first");
        assertEquals(List.of(), folder.eosTokenIds());
    }

    @Test
    void gpt2StyleFolderAddsNoBos() throws IOException {
        write("config.json", "{\"vocab_size\": 8192, \"n_positions\": 512, \"eos_token_id\": 8191}");
        write("tokenizer_config.json", "{\"bos_token\": \"<|endoftext|>\", \"eos_token\": \"<|endoftext|>\"}");
        write("tokenizer.json", """
                {"added_tokens": [{"id": 8191, "content": "<|endoftext|>"}],
                 "post_processor": {"type": "ByteLevel", "add_prefix_space": true}, "model": {}}""");

        HfModelFolder folder = HfModelFolder.read(dir);

        assertFalse(folder.addsBos());
        assertNull(folder.bosSource());
        assertEquals(List.of(8191L), folder.eosTokenIds());
        assertEquals(GenerationDefaults.NONE, folder.generationDefaults());
    }

    @Test
    void aTemplateListUsesTheOneNamedDefault() throws IOException {
        write("config.json", "{\"vocab_size\": 10}");
        write("tokenizer_config.json", """
                {"chat_template": [{"name": "tool_use", "template": "TOOLS"}, {"name": "default", "template": "CHAT"},
                                   {"name": "rag", "template": "RAG"}]}""");
        assertEquals("CHAT", HfModelFolder.read(dir).chatTemplate());

        write("tokenizer_config.json", "{\"chat_template\": [{\"name\": \"tool_use\", \"template\": \"TOOLS\"}]}");
        assertNull(HfModelFolder.read(dir).chatTemplate(), "no template named default: none is picked");
    }

    @Test
    void chatTemplateJinjaWinsOverTokenizerConfig() throws IOException {
        write("config.json", "{\"vocab_size\": 10}");
        write("tokenizer_config.json", "{\"chat_template\": \"FROM TOKENIZER CONFIG\"}");
        assertEquals("FROM TOKENIZER CONFIG", HfModelFolder.read(dir).chatTemplate());

        write("chat_template.jinja", "{% for m in messages %}{{ m.content }}\n{% endfor %}");
        assertEquals("{% for m in messages %}{{ m.content }}\n{% endfor %}", HfModelFolder.read(dir).chatTemplate());
    }

    @Test
    void malformedFilesFailNamingFileAndField() throws IOException {
        assertEquals("missing config.json", assertThrows(IOException.class, () -> HfModelFolder.read(dir)).getMessage());

        write("config.json", "{\"vocab_size\": 10, \"eos_token_id\": \"</s>\"}");
        assertTrue(message().contains("config.json eos_token_id must be a token id or a list"), message());

        write("config.json", "{\"vocab_size\": 10, \"eos_token_id\": [2, -1]}");
        assertTrue(message().contains("config.json eos_token_id must be >= 0"), message());

        write("config.json", "{\"vocab_size\": 10}");
        write("generation_config.json", "{\"top_p\": 1.5}");
        assertEquals("generation_config.json top_p must be in (0, 1]", message());
        write("generation_config.json", "{\"max_new_tokens\": 0}");
        assertEquals("generation_config.json max_new_tokens must be >= 1", message());
        write("generation_config.json", "{\"do_sample\": \"yes\"}");
        assertTrue(message().startsWith("generation_config.json do_sample must be true or false"), message());
        write("generation_config.json", "{\"temperature\": 0.7,");
        assertTrue(message().startsWith("generation_config.json is not valid JSON"), message());
        Files.delete(dir.resolve("generation_config.json"));

        write("tokenizer_config.json", "{\"add_bos_token\": true}");
        assertTrue(message().contains("add_bos_token is true but bos_token has no id"), message());
        write("tokenizer_config.json", "{\"chat_template\": 3}");
        assertTrue(message().contains("chat_template must be a string or a list"), message());
    }

    private String message() {
        return assertThrows(IOException.class, () -> HfModelFolder.read(dir)).getMessage();
    }
}
