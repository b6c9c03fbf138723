package io.slmserve.generation;

import java.util.ArrayList;
import java.util.List;

/** The cache slot copies one step's beam forks need, gathered so the session copies them in one call. */
final class SlotCopies {

    private final List<int[]> pairs = new ArrayList<>();

    void add(int from, int to) {
        pairs.add(new int[] {from, to});
    }

    boolean isEmpty() {
        return pairs.isEmpty();
    }

    int[] from() {
        return pairs.stream().mapToInt(p -> p[0]).toArray();
    }

    int[] to() {
        return pairs.stream().mapToInt(p -> p[1]).toArray();
    }
}
