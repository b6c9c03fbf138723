package io.slmserve.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.slmserve.core.BosPolicy;
import io.slmserve.core.ServingException;
import io.slmserve.core.TokenizedText;
import io.slmserve.hf.HfModelFolder;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A decoder's prompt gets the BOS its folder declares exactly once, through the real Rust tokenizer: a word-level
 * tokenizer.json whose TemplateProcessing puts {@code <s>} (id 0) in front of every sequence, like Llama's.
 */
class PromptBosTest {

    /** Llama's kind of post-processor: {@code <s>} before every sequence. */
    private static final String TEMPLATE = """
            {"type": "TemplateProcessing",
             "single": [{"SpecialToken": {"id": "<s>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}],
             "pair": [{"SpecialToken": {"id": "<s>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}},
                      {"Sequence": {"id": "B", "type_id": 1}}],
             "special_tokens": {"<s>": {"id": "<s>", "ids": [0], "tokens": ["<s>"]}}}""";

    private static final String TOKENIZER_FORMAT = """
            {"version": "1.0", "truncation": null, "padding": null,
             "added_tokens": [
               {"id": 0, "content": "<s>", "single_word": false, "lstrip": false, "rstrip": false,
                "normalized": false, "special": true},
               {"id": 1, "content": "<unk>", "single_word": false, "lstrip": false, "rstrip": false,
                "normalized": false, "special": true}],
             "normalizer": null, "pre_tokenizer": {"type": "Whitespace"},
             "post_processor": %s,
             "decoder": null,
             "model": {"type": "WordLevel", "vocab": {"<s>": 0, "<unk>": 1, "hello": 2, "world": 3, "again": 4},
                       "unk_token": "<unk>"}}
            """;

    private static final String TOKENIZER = TOKENIZER_FORMAT.formatted(TEMPLATE);

    @TempDir
    Path dir;

    private BosPolicy policy(String tokenizerConfig) throws Exception {
        Files.writeString(dir.resolve("config.json"), "{\"vocab_size\": 5, \"max_position_embeddings\": 16}");
        Files.writeString(dir.resolve("tokenizer.json"), TOKENIZER);
        Files.writeString(dir.resolve("tokenizer_config.json"), tokenizerConfig);
        HfModelFolder folder = HfModelFolder.read(dir);
        return new BosPolicy(folder.addsBos(), folder.addedBos().id(), folder.bosSource());
    }

    @Test
    void thePostProcessorsBosIsAddedOnceEvenWhenThePromptStartsWithIt() throws Exception {
        BosPolicy bos = policy("{\"bos_token\": \"<s>\"}");
        assertEquals(new BosPolicy(true, 0, HfModelFolder.BOS_FROM_POST_PROCESSOR), bos);
        try (HfTextTokenizer t = HfTextTokenizer.forPrompts(dir.resolve("tokenizer.json"), 4, 5, bos)) {
            TokenizedText plain = t.encode("hello world", false);
            assertArrayEquals(new long[] {0, 2, 3}, plain.ids());
            assertArrayEquals(new String[] {"<s>", "hello", "world"}, plain.tokens());
            // A rendered chat template that writes bos_token itself: no second BOS.
            assertArrayEquals(new long[] {0, 2, 3}, t.encode("<s> hello world", false).ids());
            assertArrayEquals(new long[] {0, 2, 0, 3}, t.encode("hello <s> world", false).ids());
            // The BOS counts against the limit: three words and a BOS are four tokens, four words are too many.
            assertFalse(t.encode("hello world again", false).truncated());
            assertThrows(ServingException.class, () -> t.encode("hello world again hello", false));
            TokenizedText cut = t.encode("hello world again hello", true);
            assertTrue(cut.truncated());
            assertArrayEquals(new long[] {0, 2, 3, 4}, cut.ids());
        }
    }

    @Test
    void addBosTokenFalseIsObeyedWhereThePostProcessorWouldAddOne() throws Exception {
        BosPolicy bos = policy("{\"bos_token\": \"<s>\", \"add_bos_token\": false}");
        assertFalse(bos.add());
        try (HfTextTokenizer prompts = HfTextTokenizer.forPrompts(dir.resolve("tokenizer.json"), 8, 5, bos);
             HfTextTokenizer withSpecials = new HfTextTokenizer(dir.resolve("tokenizer.json"), 8, 5, null)) {
            assertArrayEquals(new long[] {2, 3}, prompts.encode("hello world", false).ids());
            assertArrayEquals(new long[] {0, 2, 3}, withSpecials.encode("hello world", false).ids(),
                    "the post-processor alone would have added <s>");
        }
    }

    @Test
    void addBosTokenTrueAddsItWithoutAPostProcessorTemplate() throws Exception {
        Files.writeString(dir.resolve("config.json"), "{\"vocab_size\": 5, \"bos_token_id\": 0}");
        Files.writeString(dir.resolve("tokenizer.json"), TOKENIZER_FORMAT.formatted("null"));
        Files.writeString(dir.resolve("tokenizer_config.json"), "{\"bos_token\": \"<s>\", \"add_bos_token\": true}");
        HfModelFolder folder = HfModelFolder.read(dir);
        BosPolicy bos = new BosPolicy(folder.addsBos(), folder.addedBos().id(), folder.bosSource());
        assertEquals(new BosPolicy(true, 0, HfModelFolder.BOS_FROM_ADD_BOS_TOKEN), bos);
        try (HfTextTokenizer t = HfTextTokenizer.forPrompts(dir.resolve("tokenizer.json"), 8, 5, bos)) {
            assertArrayEquals(new long[] {0, 4, 2}, t.encode("again hello", false).ids());
        }
    }
}
