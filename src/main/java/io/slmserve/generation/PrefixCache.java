package io.slmserve.generation;

import io.slmserve.core.LoraAdapter;
import java.util.Arrays;
import java.util.function.IntPredicate;

/**
 * Prefix caching by longest common prefix over one worker's idle slots (llama.cpp's cache_prompt, per slot):
 * when a sequence finishes, its slot keeps the keys and values of every token it fed, and this table
 * remembers those ids. A new prompt then takes the free slot sharing the longest prefix with it and prefills
 * only the rest. The last prompt token is always recomputed, so the prefill row still yields the logits of
 * the first new token. A free slot is overwritten in least-recently-used order (empty slots first), so
 * {@code batch_size} bounds the prefixes kept. A slot's keys and values depend on the LoRA adapter that computed
 * them, so a prefix is reused only by a sequence of the same adapter (or both on the base). Worker thread only.
 */
final class PrefixCache {

    private final long[][] held;
    private final LoraAdapter[] heldAdapter;
    private final long[] lastUsed;
    private final int minTokens;
    private long clock;

    /** @param minTokens shortest shared prefix worth reusing; a shorter match prefills from position 0 */
    PrefixCache(int slots, int minTokens) {
        this.held = new long[slots][];
        this.heldAdapter = new LoraAdapter[slots];
        this.lastUsed = new long[slots];
        this.minTokens = Math.max(1, minTokens);
    }

    /** A free slot and the prompt tokens whose keys and values it already holds (0: none usable). */
    record Choice(int slot, int reused) {
    }

    /**
     * The free slots an admitted sequence takes, whose cached ids are forgotten; it starts after the prefix it
     * reuses. A beam search prefills its prompt in its first slot, so that slot is chosen as a one-slot
     * sequence's is; its other slots (filled as beams fork) come in eviction order.
     */
    int[] seat(Sequence next, IntPredicate free) {
        Choice choice = choose(free, next.prompt(), next.adapter());
        next.reuse(choice.reused());
        int[] taken = new int[next.width()];
        taken[0] = choice.slot();
        if (taken.length > 1) {
            int[] rest = evictionOrder(slot -> slot != choice.slot() && free.test(slot), taken.length - 1);
            System.arraycopy(rest, 0, taken, 1, rest.length);
        }
        for (int slot : taken) {
            forget(slot);
        }
        return taken;
    }

    /** The free slot for a one-slot sequence: the longest usable shared prefix, else the next to evict. */
    Choice choose(IntPredicate free, long[] prompt) {
        return choose(free, prompt, null);
    }

    /** As {@link #choose(IntPredicate, long[])}, reusing only prefixes computed with the same adapter. */
    Choice choose(IntPredicate free, long[] prompt, LoraAdapter adapter) {
        int best = -1;
        int bestLength = 0;
        for (int slot = 0; slot < held.length; slot++) {
            if (!free.test(slot) || held[slot] == null || heldAdapter[slot] != adapter) {
                continue;
            }
            int length = Math.min(commonPrefix(held[slot], prompt), prompt.length - 1);
            if (length >= minTokens && length > bestLength) {
                best = slot;
                bestLength = length;
            }
        }
        return best >= 0 ? new Choice(best, bestLength) : new Choice(evictable(free, new boolean[held.length]), 0);
    }

    /** {@code n} free slots in eviction order: empty ones first, then the least recently used prefixes. */
    int[] evictionOrder(IntPredicate free, int n) {
        int[] out = new int[n];
        boolean[] picked = new boolean[held.length];
        for (int i = 0; i < n; i++) {
            out[i] = evictable(free, picked);
            picked[out[i]] = true;
        }
        return out;
    }

    private int evictable(IntPredicate free, boolean[] picked) {
        int best = -1;
        for (int slot = 0; slot < held.length; slot++) {
            if (free.test(slot) && !picked[slot] && (best < 0 || rank(slot) < rank(best))) {
                best = slot;
            }
        }
        if (best < 0) {
            throw new IllegalStateException("no free slot");
        }
        return best;
    }

    private long rank(int slot) {
        return held[slot] == null ? Long.MIN_VALUE : lastUsed[slot];
    }

    /** The slot is taken: its cached ids no longer describe what it will hold. */
    void forget(int slot) {
        held[slot] = null;
    }

    /** A sequence left the slot holding the keys and values of these tokens at positions 0..length-1. */
    void remember(int slot, long[] tokens) {
        remember(slot, tokens, null);
    }

    /** As {@link #remember(int, long[])}, for keys and values computed with this adapter (null: the base). */
    void remember(int slot, long[] tokens, LoraAdapter adapter) {
        held[slot] = tokens.length == 0 ? null : tokens;
        heldAdapter[slot] = adapter;
        lastUsed[slot] = ++clock;
    }

    /**
     * A finished sequence leaves its cached tokens. A beam search leaves its prompt in its first slot: every
     * beam's slot starts with it (forks copy whole slots), but which beam ended where varies.
     */
    void left(Sequence s) {
        if (s.beams() == null) {
            remember(s.slot, s.cachedTokens(), s.adapter());
        } else if (s.prefilled()) {
            remember(s.slot, s.prompt(), s.adapter());
        }
    }

    /** The ids a slot holds, or null (tests). */
    long[] held(int slot) {
        return held[slot];
    }

    static int commonPrefix(long[] a, long[] b) {
        int mismatch = Arrays.mismatch(a, b);
        return mismatch < 0 ? a.length : mismatch;
    }
}
