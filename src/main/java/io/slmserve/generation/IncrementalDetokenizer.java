package io.slmserve.generation;

import io.slmserve.core.TextTokenizer;
import java.util.Arrays;

/**
 * Turns generated token ids into text one token at a time without ever releasing half a character: byte-level
 * BPE tokens may end inside a multi-byte UTF-8 character, which decodes to U+FFFD until the next token
 * completes it. Decodes only a short window (the text Hugging Face TGI calls prefix and read offsets), so the
 * cost per token does not grow with the sequence.
 */
final class IncrementalDetokenizer {

    private static final char REPLACEMENT = '\uFFFD';

    private final TextTokenizer tokenizer;
    private long[] ids = new long[16];
    private int size;
    private int prefixOffset;
    private int readOffset;

    IncrementalDetokenizer(TextTokenizer tokenizer) {
        this.tokenizer = tokenizer;
    }

    /** Adds a token; returns the text it completes (possibly empty). */
    String next(long id) {
        if (size == ids.length) {
            ids = Arrays.copyOf(ids, size * 2);
        }
        ids[size++] = id;
        String prefix = decode(prefixOffset, readOffset);
        String full = decode(prefixOffset, size);
        if (full.length() > prefix.length() && full.charAt(full.length() - 1) != REPLACEMENT
                && full.startsWith(prefix)) {
            prefixOffset = readOffset;
            readOffset = size;
            return full.substring(prefix.length());
        }
        return "";
    }

    /** At the end: whatever is still held back, even an incomplete character (as U+FFFD). */
    String flush() {
        String prefix = decode(prefixOffset, readOffset);
        String full = decode(prefixOffset, size);
        prefixOffset = size;
        readOffset = size;
        return full.length() > prefix.length() && full.startsWith(prefix) ? full.substring(prefix.length()) : "";
    }

    private String decode(int from, int to) {
        return from >= to ? "" : tokenizer.decode(Arrays.copyOfRange(ids, from, to), true);
    }
}
