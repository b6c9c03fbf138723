package io.slmserve.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import io.slmserve.core.BosPolicy;
import io.slmserve.core.ErrorKind;
import io.slmserve.core.ServingException;
import io.slmserve.core.TokenizedPair;
import io.slmserve.core.TokenizedText;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A model whose limit is above 512 tokens takes prompts up to that limit. DJL's tokenizer silently capped its max
 * length at 512 (its default "modelMaxLength"), so a 1024-position GPT-2 refused 600-token prompts with "longer
 * than the model's limit of 1023 tokens". The reference count is the same tokenizer.json with truncation off.
 */
class TokenizerLimitTest {

    private static final Path TOKENIZER = Path.of("models/nano-gpt/tokenizer.json");
    private static final int LIMIT = 1023;
    private static HuggingFaceTokenizer reference;

    @BeforeAll
    static void reference() throws Exception {
        reference = HuggingFaceTokenizer.builder().optTokenizerPath(TOKENIZER).optAddSpecialTokens(false)
                .optPadding(false).optTruncation(false).build();
    }

    @AfterAll
    static void close() {
        reference.close();
    }

    /** Whole verses until the reference tokenizer counts at least {@code tokens}. */
    private static String textOf(int tokens) {
        StringBuilder text = new StringBuilder();
        while (reference.encode(text.toString(), false, false).getIds().length < tokens) {
            text.append("And the LORD spake unto Moses, saying, Speak unto the children of Israel. ");
        }
        return text.toString();
    }

    @Test
    void aPromptBetween512AndTheLimitIsTakenWhole() throws Exception {
        String text = textOf(800);
        long[] expected = reference.encode(text, false, false).getIds();
        assertTrue(expected.length > 512 && expected.length < LIMIT, "reference count " + expected.length);
        try (HfTextTokenizer prompts = HfTextTokenizer.forPrompts(TOKENIZER, LIMIT, 8192, BosPolicy.NONE)) {
            TokenizedText encoded = prompts.encode(text, false);
            assertFalse(encoded.truncated());
            assertArrayEquals(expected, encoded.ids());
        }
    }

    @Test
    void aPromptOverTheLimitIsRefusedOrCutAtTheLimitNot512() throws Exception {
        String text = textOf(1100);
        long[] expected = reference.encode(text, false, false).getIds();
        assertTrue(expected.length > LIMIT, "reference count " + expected.length);
        try (HfTextTokenizer prompts = HfTextTokenizer.forPrompts(TOKENIZER, LIMIT, 8192, BosPolicy.NONE)) {
            ServingException e = assertThrows(ServingException.class, () -> prompts.encode(text, false));
            assertEquals(ErrorKind.INPUT_TOO_LONG, e.kind());
            TokenizedText cut = prompts.encode(text, true);
            assertTrue(cut.truncated());
            assertArrayEquals(Arrays.copyOf(expected, LIMIT), cut.ids());
        }
    }

    @Test
    void aPairBetween512AndTheLimitIsNotCut() throws Exception {
        String passage = textOf(700);
        int passageTokens = reference.encode(passage, false, false).getIds().length;
        try (HfTextTokenizer encoder = new HfTextTokenizer(TOKENIZER, LIMIT, 8192, null)) {
            TokenizedPair pair = encoder.encodePair("Who spake?", passage, false, false);
            assertFalse(pair.truncated());
            assertTrue(pair.ids().length > passageTokens, pair.ids().length + " ids for a passage of " + passageTokens);
        }
    }
}
