package io.slmserve.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * Token byte strings for constrained generation: on nano-gpt's byte-level vocabulary every token whose bytes are
 * whole UTF-8 decodes (through DJL's Rust tokenizer) to exactly those bytes; a Metaspace vocabulary maps U+2581 to
 * a space and byte-fallback pieces to their byte; special tokens have none.
 */
class TokenByteStringsTest {

    @Test
    void byteLevelBytesEqualTheTokenizersOwnDecoding() throws Exception {
        Path dir = Path.of("models/nano-gpt");
        try (HfTextTokenizer tokenizer = new HfTextTokenizer(dir.resolve("tokenizer.json"), 512, 8192, null)) {
            byte[][] bytes = tokenizer.tokenBytes();
            assertEquals(8192, bytes.length);
            assertNull(bytes[8191], "<|endoftext|> is special");
            int checked = 0;
            for (int id = 0; id < 8191; id++) {
                String whole = utf8(bytes[id]);
                if (whole != null) {
                    assertEquals(tokenizer.decode(new long[] {id}, false), whole, "token " + id);
                    checked++;
                }
            }
            assertTrue(checked > 7000, "tokens checked: " + checked);
            for (int b = 0; b < 256; b++) {
                boolean found = false;
                for (byte[] t : bytes) {
                    found |= t != null && t.length == 1 && (t[0] & 0xff) == b;
                }
                assertTrue(found, "byte " + b + " is a token");
            }
        }
    }

    private static String utf8(byte[] b) {
        try {
            return StandardCharsets.UTF_8.newDecoder().decode(ByteBuffer.wrap(b)).toString();
        } catch (CharacterCodingException e) {
            return null;
        }
    }

    @Test
    void metaspaceVocabularyMapsSpacesAndByteFallback() throws Exception {
        Path file = Files.createTempFile("metaspace", ".json");
        Files.writeString(file, "{\"model\": {\"type\": \"BPE\", \"vocab\": {\"<s>\": 0, \"\\u2581Hello\": 1, \"<0x0A>\": 2,"
                + " \"ab\": 3}}, \"decoder\": {\"type\": \"Sequence\", \"decoders\": [{\"type\": \"Replace\", \"pattern\":"
                + " {\"String\": \"\\u2581\"}, \"content\": \" \"}, {\"type\": \"ByteFallback\"}]},"
                + " \"added_tokens\": [{\"id\": 0, \"content\": \"<s>\", \"special\": true}]}");
        byte[][] bytes = TokenByteStrings.read(file, 5);
        assertNull(bytes[0]);
        assertArrayEquals(" Hello".getBytes(StandardCharsets.UTF_8), bytes[1]);
        assertArrayEquals(new byte[] {0x0A}, bytes[2]);
        assertArrayEquals("ab".getBytes(StandardCharsets.UTF_8), bytes[3]);
        assertNull(bytes[4], "an id past the vocabulary");
        Files.writeString(file, "{\"model\": {\"type\": \"WordPiece\", \"vocab\": {\"a\": 0}}, \"decoder\": "
                + "{\"type\": \"WordPiece\"}}");
        assertNull(TokenByteStrings.read(file, 1), "WordPiece is not mapped");
        Files.delete(file);
    }
}
