package io.slmserve.constraint;

import java.util.Arrays;
import java.util.Comparator;

/**
 * A tokenizer's token byte strings sorted, with each one's common prefix length with the one before: walking the
 * sorted list with a stack of automaton states per prefix depth visits each shared prefix once, like a trie walk,
 * without building a trie. Built once per tokenizer. Tokens without bytes (special, empty) are left out.
 */
final class TokenVocabulary {

    private final byte[][] bytes;
    private final int[] order;
    private final int[] lcp;
    private final int maxLength;
    /** For each byte value, the id of a token that is exactly that byte, or -1. */
    private final int[] singleByte = new int[256];

    TokenVocabulary(byte[][] tokenBytes) {
        this.bytes = tokenBytes;
        Integer[] ids = new Integer[tokenBytes.length];
        int n = 0;
        for (int i = 0; i < tokenBytes.length; i++) {
            if (tokenBytes[i] != null && tokenBytes[i].length > 0) {
                ids[n++] = i;
            }
        }
        ids = Arrays.copyOf(ids, n);
        Arrays.sort(ids, Comparator.comparing((Integer id) -> tokenBytes[id], Arrays::compareUnsigned));
        order = new int[n];
        lcp = new int[n];
        int longest = 0;
        Arrays.fill(singleByte, -1);
        for (int k = 0; k < n; k++) {
            order[k] = ids[k];
            byte[] b = tokenBytes[ids[k]];
            longest = Math.max(longest, b.length);
            if (k > 0) {
                lcp[k] = Arrays.mismatch(b, tokenBytes[ids[k - 1]]);
                if (lcp[k] < 0) {
                    lcp[k] = b.length; // duplicates: the same bytes under two ids
                }
            }
            if (b.length == 1 && singleByte[b[0] & 0xff] < 0) {
                singleByte[b[0] & 0xff] = ids[k];
            }
        }
        this.maxLength = longest;
    }

    int size() {
        return bytes.length;
    }

    /** The token's bytes, or null for a special token. */
    byte[] bytes(long token) {
        return token >= 0 && token < bytes.length ? bytes[(int) token] : null;
    }

    boolean hasSingleByte(int b) {
        return singleByte[b] >= 0;
    }

    /** Receives a token the DFA reads in full, with the state it ends in. */
    interface Sink {
        void accept(int token, int endState);
    }

    /** Calls {@code sink} with every token id whose whole byte string the DFA can read from {@code state}. */
    void walk(ByteDfa dfa, int state, Sink sink) {
        int[] stack = new int[maxLength + 1];
        stack[0] = state;
        int valid = 0;
        for (int k = 0; k < order.length; k++) {
            byte[] b = bytes[order[k]];
            int d = Math.min(lcp[k], valid);
            while (d < b.length) {
                int q = dfa.step(stack[d], b[d]);
                if (q < 0) {
                    break;
                }
                stack[++d] = q;
            }
            valid = d;
            if (d == b.length) {
                sink.accept(order[k], stack[d]);
            }
        }
    }
}
