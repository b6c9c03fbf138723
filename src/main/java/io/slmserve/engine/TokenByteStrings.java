package io.slmserve.engine;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.Map;

/**
 * The bytes every token of a tokenizer.json contributes to decoded text, for constrained generation. Byte-level
 * BPE (GPT-2, SmolLM, Qwen): each vocabulary character stands for one byte through GPT-2's bytes_to_unicode table.
 * Metaspace / SentencePiece-style vocabularies (Llama, T5): U+2581 is a space and {@code <0xAB>} byte-fallback
 * tokens are the byte 0xAB. Special added tokens have no bytes (null); WordPiece and other decoders are not mapped
 * (the whole result is null), since their decoded text is not a concatenation of per-token strings.
 */
final class TokenByteStrings {

    private static final ObjectMapper JSON = new ObjectMapper();

    private TokenByteStrings() {
    }

    /** The byte strings by token id over {@code size} ids, or null when the decoder is not byte-mappable. */
    static byte[][] read(Path tokenizerJson, int size) throws IOException {
        JsonNode root = JSON.readTree(tokenizerJson.toFile());
        String decoder = decoderKind(root.path("decoder"));
        if (decoder == null) {
            return null;
        }
        int[] unicodeToByte = byteLevelTable();
        byte[][] out = new byte[size][];
        Iterator<Map.Entry<String, JsonNode>> vocab = root.path("model").path("vocab").fields();
        if (root.path("model").path("vocab").isArray()) { // Unigram: [[piece, score], ...]
            int id = 0;
            for (JsonNode entry : root.path("model").path("vocab")) {
                put(out, id++, entry.path(0).asText(), decoder, unicodeToByte);
            }
        }
        while (vocab.hasNext()) {
            Map.Entry<String, JsonNode> e = vocab.next();
            put(out, e.getValue().asInt(), e.getKey(), decoder, unicodeToByte);
        }
        for (JsonNode added : root.path("added_tokens")) {
            int id = added.path("id").asInt();
            if (id >= 0 && id < size) {
                out[id] = added.path("special").asBoolean(false) ? null
                        : added.path("content").asText().getBytes(StandardCharsets.UTF_8);
            }
        }
        return out;
    }

    private static void put(byte[][] out, int id, String piece, String decoder, int[] unicodeToByte) {
        if (id < 0 || id >= out.length) {
            return;
        }
        out[id] = "bytelevel".equals(decoder) ? byteLevel(piece, unicodeToByte) : metaspace(piece);
    }

    /** "bytelevel", "metaspace", or null for a decoder whose output is not per-token bytes. */
    private static String decoderKind(JsonNode decoder) {
        String type = decoder.path("type").asText("");
        if (type.equals("ByteLevel")) {
            return "bytelevel";
        }
        if (type.equals("Metaspace")) {
            return "metaspace";
        }
        if (type.equals("Sequence")) {
            boolean replacesSpace = false;
            for (JsonNode d : decoder.path("decoders")) {
                String t = d.path("type").asText("");
                if (t.equals("ByteLevel")) {
                    return "bytelevel";
                }
                if (t.equals("Metaspace") || (t.equals("Replace") && "\u2581".equals(d.path("pattern").path("String")
                        .asText()))) {
                    replacesSpace = true;
                }
            }
            return replacesSpace ? "metaspace" : null;
        }
        return null;
    }

    /** A byte-level piece back to its bytes; null when a character is outside the table (not a text token). */
    private static byte[] byteLevel(String piece, int[] unicodeToByte) {
        byte[] bytes = new byte[piece.length()];
        for (int i = 0; i < piece.length(); i++) {
            char c = piece.charAt(i);
            if (c >= unicodeToByte.length || unicodeToByte[c] < 0) {
                return null;
            }
            bytes[i] = (byte) unicodeToByte[c];
        }
        return bytes;
    }

    private static byte[] metaspace(String piece) {
        if (piece.length() == 6 && piece.startsWith("<0x") && piece.endsWith(">")) {
            try {
                return new byte[] {(byte) Integer.parseInt(piece.substring(3, 5), 16)};
            } catch (NumberFormatException e) {
                // an ordinary piece that looks like one
            }
        }
        return piece.replace('\u2581', ' ').getBytes(StandardCharsets.UTF_8);
    }

    /**
     * GPT-2's bytes_to_unicode inverted: printable Latin-1 bytes map to themselves, the other 68 bytes to
     * U+0100 upwards in byte order.
     */
    static int[] byteLevelTable() {
        int[] table = new int[512];
        java.util.Arrays.fill(table, -1);
        int n = 0;
        for (int b = 0; b < 256; b++) {
            boolean printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
            if (printable) {
                table[b] = b;
            } else {
                table[256 + n++] = b;
            }
        }
        return table;
    }
}
