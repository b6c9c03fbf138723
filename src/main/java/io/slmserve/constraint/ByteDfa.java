package io.slmserve.constraint;

import dk.brics.automaton.Automaton;
import dk.brics.automaton.State;
import dk.brics.automaton.Transition;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * A character automaton turned into a minimal DFA over UTF-8 bytes, as a dense table. Tokens are byte strings and
 * a token may end inside a multi-byte character, so the walk must run over bytes: each character range of a
 * transition is split into ranges of UTF-8 byte sequences (the split of Rust's regex-syntax Utf8Sequences), chained
 * through fresh states; dk.brics then determinizes and minimizes the byte automaton (chars 0-255 stand for bytes)
 * and drops dead states, so every state kept can still reach acceptance. Bytes that behave alike share a column
 * (byte classes), which keeps the table small: a JSON schema needs a few dozen columns, not 256.
 */
final class ByteDfa {

    final int states;
    final int start;
    final boolean[] accept;
    private final int[] classOf;
    private final int classes;
    private final int[] next;

    private ByteDfa(int states, boolean[] accept, int[] classOf, int classes, int[] next) {
        this.states = states;
        this.start = 0;
        this.accept = accept;
        this.classOf = classOf;
        this.classes = classes;
        this.next = next;
    }

    /** The state after byte b, or -1 (no text of the language continues so). */
    int step(int state, byte b) {
        return next[state * classes + classOf[b & 0xff]];
    }

    boolean hasOutgoing(int state) {
        for (int c = 0; c < classes; c++) {
            if (next[state * classes + c] >= 0) {
                return true;
            }
        }
        return false;
    }

    /**
     * Classes of states that no byte string of at most {@code horizon} bytes tells apart: for every such string,
     * either both states' paths die or both are alive and end in states of the same acceptance and liveness
     * ({@code good}, null: all live). A token is at most the vocabulary's longest token long, so with that horizon
     * two states of one class allow the same tokens and can share one allowed set, though the minimal DFA keeps
     * them apart (a repetition's counter: the 3rd and the 7th of 12 array items differ only far beyond any token).
     * Moore's partition refinement cut off after {@code horizon} rounds, or earlier once it is stable.
     */
    int[] boundedClasses(int horizon, boolean[] good) {
        int[] cls = new int[states];
        for (int s = 0; s < states; s++) {
            cls[s] = (accept[s] ? 1 : 0) | (good == null || good[s] ? 2 : 0);
        }
        int count = -1;
        for (int round = 0; round < horizon; round++) {
            Map<Signature, Integer> ids = new HashMap<>();
            int[] refined = new int[states];
            for (int s = 0; s < states; s++) {
                int[] sig = new int[classes + 1];
                sig[0] = cls[s];
                for (int c = 0; c < classes; c++) {
                    int t = next[s * classes + c];
                    sig[c + 1] = t < 0 ? -1 : cls[t];
                }
                refined[s] = ids.computeIfAbsent(new Signature(sig), k -> ids.size());
            }
            cls = refined;
            if (ids.size() == count) {
                break; // no class split: the partition is stable and further rounds change nothing
            }
            count = ids.size();
        }
        return cls;
    }

    /** A state's class and its successors' classes, compared by value. */
    private record Signature(int[] values) {
        @Override
        public boolean equals(Object o) {
            return o instanceof Signature s && Arrays.equals(s.values, values);
        }

        @Override
        public int hashCode() {
            return Arrays.hashCode(values);
        }
    }

    long bytes() {
        return (long) next.length * 4 + accept.length + classOf.length * 4L;
    }

    /** @param maxStates beyond this many byte states the constraint is refused (the caller's 400) */
    static ByteDfa of(Automaton chars, int maxStates) {
        Automaton bytes = toBytes(chars);
        bytes.minimize();
        bytes.removeDeadTransitions();
        if (bytes.isEmpty()) {
            return null;
        }
        int count = bytes.getNumberOfStates();
        if (count > maxStates) {
            throw new TooLarge(count);
        }
        Map<State, Integer> ids = new HashMap<>();
        List<State> order = new ArrayList<>();
        ArrayDeque<State> queue = new ArrayDeque<>();
        ids.put(bytes.getInitialState(), 0);
        order.add(bytes.getInitialState());
        queue.add(bytes.getInitialState());
        TreeSet<Integer> cuts = new TreeSet<>(List.of(0, 256));
        while (!queue.isEmpty()) {
            for (Transition t : queue.poll().getTransitions()) {
                cuts.add((int) t.getMin());
                cuts.add(t.getMax() + 1);
                if (!ids.containsKey(t.getDest())) {
                    ids.put(t.getDest(), order.size());
                    order.add(t.getDest());
                    queue.add(t.getDest());
                }
            }
        }
        int[] classOf = new int[256];
        Integer[] bounds = cuts.toArray(new Integer[0]);
        for (int c = 0; c + 1 < bounds.length; c++) {
            for (int b = bounds[c]; b < bounds[c + 1] && b < 256; b++) {
                classOf[b] = c;
            }
        }
        int classes = bounds.length - 1;
        int[] next = new int[order.size() * classes];
        Arrays.fill(next, -1);
        boolean[] accept = new boolean[order.size()];
        for (int s = 0; s < order.size(); s++) {
            State state = order.get(s);
            accept[s] = state.isAccept();
            for (Transition t : state.getTransitions()) {
                int dest = ids.get(t.getDest());
                for (int b = t.getMin(); b <= t.getMax() && b < 256; b++) {
                    next[s * classes + classOf[b]] = dest;
                }
            }
        }
        return new ByteDfa(order.size(), accept, classOf, classes, next);
    }

    /** Thrown when the byte DFA has more states than allowed. */
    static final class TooLarge extends RuntimeException {
        final int states;

        TooLarge(int states) {
            super(null, null, false, false);
            this.states = states;
        }
    }

    private static Automaton toBytes(Automaton chars) {
        chars.determinize();
        Map<State, State> map = new HashMap<>();
        Map<Suffix, State> suffixes = new HashMap<>();
        for (State s : chars.getStates()) {
            State copy = new State();
            copy.setAccept(s.isAccept());
            map.put(s, copy);
        }
        for (State s : chars.getStates()) {
            for (Transition t : s.getTransitions()) {
                List<int[][]> sequences = new ArrayList<>();
                int lo = t.getMin();
                int hi = t.getMax();
                // Lone surrogates are not text: only the two surrogate-free parts of the range are encoded.
                if (lo < 0xD800) {
                    split(lo, Math.min(hi, 0xD7FF), sequences);
                }
                if (hi > 0xDFFF) {
                    split(Math.max(lo, 0xE000), hi, sequences);
                }
                for (int[][] seq : sequences) {
                    // Continuation bytes are chained through states shared by every sequence with the same
                    // suffix and destination, so the byte NFA stays nearly deterministic and small.
                    State to = map.get(t.getDest());
                    for (int i = seq.length - 1; i >= 1; i--) {
                        State target = to;
                        int[] range = seq[i];
                        to = suffixes.computeIfAbsent(new Suffix(target, range[0], range[1]),
                                k -> {
                                    State mid = new State();
                                    mid.addTransition(new Transition((char) range[0], (char) range[1], target));
                                    return mid;
                                });
                    }
                    map.get(s).addTransition(new Transition((char) seq[0][0], (char) seq[0][1], to));
                }
            }
        }
        Automaton out = new Automaton();
        out.setInitialState(map.get(chars.getInitialState()));
        out.setDeterministic(false);
        return out;
    }

    /** A continuation-byte range into a state (brics States are equal by their unique id). */
    private record Suffix(State target, int lo, int hi) {
    }

    /** Splits code points [lo, hi] into ranges whose UTF-8 encodings are products of byte ranges. */
    static void split(int lo, int hi, List<int[][]> out) {
        if (lo > hi) {
            return;
        }
        for (int boundary : new int[] {0x7F, 0x7FF}) {
            if (lo <= boundary && hi > boundary) {
                split(lo, boundary, out);
                split(boundary + 1, hi, out);
                return;
            }
        }
        int n = lo <= 0x7F ? 1 : lo <= 0x7FF ? 2 : 3;
        for (int i = 1; i < n; i++) {
            int m = (1 << (6 * i)) - 1;
            if ((lo & ~m) != (hi & ~m)) {
                if ((lo & m) != 0) {
                    split(lo, lo | m, out);
                    split((lo | m) + 1, hi, out);
                    return;
                }
                if ((hi & m) != m) {
                    split(lo, (hi & ~m) - 1, out);
                    split(hi & ~m, hi, out);
                    return;
                }
            }
        }
        byte[] a = new String(Character.toChars(lo)).getBytes(StandardCharsets.UTF_8);
        byte[] b = new String(Character.toChars(hi)).getBytes(StandardCharsets.UTF_8);
        int[][] seq = new int[a.length][];
        for (int i = 0; i < a.length; i++) {
            seq[i] = new int[] {a[i] & 0xff, b[i] & 0xff};
        }
        out.add(seq);
    }
}
