package io.slmserve.constraint;

import io.slmserve.core.TokenConstraint;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * A byte DFA bound to one vocabulary: per DFA state the allowed token ids, computed on first use and kept (a state
 * is visited by many sequences and steps). States that no token can tell apart ({@link ByteDfa#boundedClasses})
 * share one set, so a schema repeating a part (array items) pays one vocabulary walk per distinct position, not per
 * repetition. The end-of-sequence token is allowed exactly in accepting states. A sparse set is kept as ids and
 * masked by setting the gaps between them to -inf; a dense one as a bitset whose clear bits are set to -inf.
 */
final class CompiledConstraint implements TokenConstraint {

    /** After the end-of-sequence token, or after a token the mask forbade: only the end may follow. */
    static final int FINAL = -1;

    private final ByteDfa dfa;
    private final TokenVocabulary vocabulary;
    private final long eos;
    private final int width;
    private final AtomicReferenceArray<Allowed> allowed;
    /** States from which the vocabulary can still reach acceptance; null when all can. */
    private volatile boolean[] good;
    /** Each state's class: states of one class allow the same tokens; allowed sets are kept per class. */
    private volatile int[] classOf;

    CompiledConstraint(ByteDfa dfa, TokenVocabulary vocabulary, long eos, int width) {
        this.dfa = dfa;
        this.vocabulary = vocabulary;
        this.eos = eos;
        this.width = width;
        this.allowed = new AtomicReferenceArray<>(dfa.states);
        this.classOf = dfa.boundedClasses(vocabulary.maxLength(), null);
    }

    /** The token ids allowed in a state, either as sorted ids (sparse) or as a bitset over the logits width. */
    record Allowed(int[] ids, long[] bits, int count) {
    }

    /** Keeps tokens out of every allowed set that would lead into a state marked false. */
    void restrictTo(boolean[] goodStates) {
        this.good = goodStates;
        this.classOf = dfa.boundedClasses(vocabulary.maxLength(), goodStates);
        for (int s = 0; s < dfa.states; s++) {
            allowed.set(s, null);
        }
    }

    int states() {
        return dfa.states;
    }

    ByteDfa dfa() {
        return dfa;
    }

    /** Bytes held now and at most (every state's set computed as a bitset), for the cache's weigher. */
    long maxBytes() {
        return dfa.bytes() + (long) dfa.states * (width / 8 + 48);
    }

    @Override
    public int initialState() {
        return dfa.start;
    }

    @Override
    public int advance(int state, long token) {
        if (state < 0 || token == eos) {
            return FINAL;
        }
        byte[] bytes = vocabulary.bytes(token);
        if (bytes == null || bytes.length == 0) {
            return FINAL;
        }
        int q = state;
        for (byte b : bytes) {
            q = dfa.step(q, b);
            if (q < 0) {
                return FINAL;
            }
        }
        return q;
    }

    @Override
    public void mask(int state, float[] logits, int offset, int vocab) {
        if (state < 0) {
            float end = eos >= 0 && eos < vocab ? logits[offset + (int) eos] : 0;
            Arrays.fill(logits, offset, offset + vocab, Float.NEGATIVE_INFINITY);
            if (eos >= 0 && eos < vocab) {
                logits[offset + (int) eos] = end;
            }
            return;
        }
        Allowed a = allowed(state);
        if (a.ids != null) {
            // ids are sorted: everything between two allowed ids (and around them) goes to -inf in place
            int from = 0;
            for (int id : a.ids) {
                if (id >= vocab) {
                    break;
                }
                Arrays.fill(logits, offset + from, offset + id, Float.NEGATIVE_INFINITY);
                from = id + 1;
            }
            Arrays.fill(logits, offset + from, offset + vocab, Float.NEGATIVE_INFINITY);
            return;
        }
        long[] bits = a.bits;
        for (int w = 0; w * 64 < vocab; w++) {
            long word = w < bits.length ? bits[w] : 0;
            if (word == -1L) {
                continue;
            }
            int end = Math.min(vocab, (w + 1) * 64);
            if (word == 0) {
                Arrays.fill(logits, offset + w * 64, offset + end, Float.NEGATIVE_INFINITY);
                continue;
            }
            for (int v = w * 64; v < end; v++) {
                if ((word & (1L << (v & 63))) == 0) {
                    logits[offset + v] = Float.NEGATIVE_INFINITY;
                }
            }
        }
    }

    /** The allowed set of a state, computed by a vocabulary walk the first time its class is asked for. */
    Allowed allowed(int state) {
        int c = classOf[state];
        Allowed a = allowed.get(c);
        if (a == null) {
            a = compute(state);
            allowed.compareAndSet(c, null, a);
        }
        return a;
    }

    private Allowed compute(int state) {
        long[] bits = new long[(width + 63) / 64];
        int[] count = new int[1];
        boolean[] keep = good;
        vocabulary.walk(dfa, state, (id, end) -> {
            if (id < width && id != eos && (keep == null || keep[end])) {
                bits[id >> 6] |= 1L << (id & 63);
                count[0]++;
            }
        });
        if (dfa.accept[state] && eos >= 0 && eos < width && (bits[(int) eos >> 6] & (1L << (eos & 63))) == 0) {
            bits[(int) eos >> 6] |= 1L << (eos & 63);
            count[0]++;
        }
        if (count[0] * 32L < width) {
            int[] ids = new int[count[0]];
            int n = 0;
            for (int w = 0; w < bits.length; w++) {
                for (long word = bits[w]; word != 0; word &= word - 1) {
                    ids[n++] = w * 64 + Long.numberOfTrailingZeros(word);
                }
            }
            return new Allowed(ids, null, count[0]);
        }
        return new Allowed(null, bits, count[0]);
    }
}
