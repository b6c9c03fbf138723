package io.slmserve.constraint;

import java.util.Arrays;
import java.util.Comparator;

/**
 * A tokenizer's token byte strings as a trie laid out in flat arrays in depth-first order (the tokens sorted by
 * their bytes give that order directly), each node with the index just past its subtree. A walk from an automaton
 * state steps each node's byte from its parent's state, once per shared prefix, and skips a whole subtree as soon
 * as its prefix leaves the language: a state that allows few first bytes costs a few hundred steps, not one per
 * token (the sorted-list walk this replaced visited every token of the vocabulary for every state). Built once per
 * tokenizer. Tokens without bytes (special, empty) are left out.
 */
final class TokenVocabulary {

    private final byte[][] bytes;
    /** Per node: the byte on its edge, its depth (1 for the root's children) and the index after its subtree. */
    private final byte[] label;
    private final int[] depth;
    private final int[] skip;
    /** Tokens ending at node i: tokenIds[tokenStart[i] .. tokenStart[i + 1]) (several ids may share bytes). */
    private final int[] tokenStart;
    private final int[] tokenIds;
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
        Arrays.fill(singleByte, -1);
        int nodes = 0;
        int longest = 0;
        for (int k = 0; k < n; k++) {
            byte[] b = tokenBytes[ids[k]];
            longest = Math.max(longest, b.length);
            nodes += b.length - (k == 0 ? 0 : common(b, tokenBytes[ids[k - 1]]));
            if (b.length == 1 && singleByte[b[0] & 0xff] < 0) {
                singleByte[b[0] & 0xff] = ids[k];
            }
        }
        this.maxLength = longest;
        this.label = new byte[nodes];
        this.depth = new int[nodes];
        this.skip = new int[nodes];
        this.tokenStart = new int[nodes + 1];
        this.tokenIds = new int[n];
        // open[d] = the node at depth d on the current path; a new node at depth d closes the subtrees of the
        // open nodes at depth >= d, which then end where it starts.
        int[] open = new int[longest + 1];
        int openDepth = 0;
        int node = 0;
        for (int k = 0; k < n; k++) {
            byte[] b = tokenBytes[ids[k]];
            int shared = k == 0 ? 0 : common(b, tokenBytes[ids[k - 1]]);
            for (int d = shared + 1; d <= b.length; d++) {
                for (; openDepth >= d; openDepth--) {
                    skip[open[openDepth]] = node;
                }
                label[node] = b[d - 1];
                depth[node] = d;
                open[d] = node;
                openDepth = d;
                node++;
            }
            // Sorted order puts a token right after the node it ends at is made (or after its duplicate).
            tokenIds[k] = ids[k];
            tokenStart[open[b.length] + 1]++;
        }
        for (; openDepth >= 1; openDepth--) {
            skip[open[openDepth]] = nodes;
        }
        for (int i = 0; i < nodes; i++) {
            tokenStart[i + 1] += tokenStart[i];
        }
    }

    /** Length of the common prefix (the whole of the shorter one when one is a prefix of the other). */
    private static int common(byte[] a, byte[] b) {
        int m = Arrays.mismatch(a, b);
        return m < 0 ? a.length : m;
    }

    int size() {
        return bytes.length;
    }

    /** The longest token in bytes: how far one token can look ahead in the automaton. */
    int maxLength() {
        return maxLength;
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
        int[] at = new int[maxLength + 1];
        at[0] = state;
        int nodes = label.length;
        int i = 0;
        while (i < nodes) {
            int d = depth[i];
            int q = dfa.step(at[d - 1], label[i]);
            if (q < 0) {
                i = skip[i];
                continue;
            }
            at[d] = q;
            for (int t = tokenStart[i]; t < tokenStart[i + 1]; t++) {
                sink.accept(tokenIds[t], q);
            }
            i++;
        }
    }
}
