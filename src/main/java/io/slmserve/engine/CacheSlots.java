package io.slmserve.engine;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import java.util.HashSet;
import java.util.Set;

/**
 * Copies whole slots of {@code [L, S, ...]} cache tensors in place: {@code cache[:, to] = cache[:, from]}, one
 * gather and one scatter per tensor (index_put_ on the live tensor, so the session keeps passing the same
 * arrays). Beam search forks a beam this way.
 */
final class CacheSlots {

    private CacheSlots() {
    }

    /**
     * A copy of a tensor the archive made under inference mode as a normal tensor: libtorch refuses in-place
     * updates of inference tensors from outside inference mode, which is where DJL's indexing runs. The graph may
     * still update a normal tensor in place.
     */
    static NDArray writable(NDArray inferenceTensor) {
        NDArray normal = inferenceTensor.duplicate();
        inferenceTensor.close();
        return normal;
    }

    static void copy(NDManager parent, int slots, int[] from, int[] to, NDArray... caches) {
        check(slots, from, to);
        if (from.length == 0) {
            return;
        }
        try (NDManager scope = parent.newSubManager()) {
            NDArray source = scope.create(toLong(from));
            NDArray target = scope.create(toLong(to));
            for (NDArray cache : caches) {
                // The gather copies the source slots first, so a slot read and written in one call is impossible.
                NDArray values = cache.get(new NDIndex(":, {}", source));
                values.attach(scope);
                cache.set(new NDIndex(":, {}", target), values);
            }
        }
    }

    private static void check(int slots, int[] from, int[] to) {
        if (from.length != to.length) {
            throw new IllegalArgumentException("copySlots needs as many sources as targets");
        }
        Set<Integer> sources = new HashSet<>();
        Set<Integer> targets = new HashSet<>();
        for (int i = 0; i < from.length; i++) {
            if (from[i] < 0 || from[i] >= slots || to[i] < 0 || to[i] >= slots) {
                throw new IllegalArgumentException("slot outside [0, " + slots + ")");
            }
            sources.add(from[i]);
            if (!targets.add(to[i])) {
                throw new IllegalArgumentException("slot " + to[i] + " is a copy target twice");
            }
        }
        sources.retainAll(targets);
        if (!sources.isEmpty()) {
            throw new IllegalArgumentException("slots " + sources + " are both copied from and to");
        }
    }

    private static long[] toLong(int[] values) {
        long[] out = new long[values.length];
        for (int i = 0; i < values.length; i++) {
            out[i] = values[i];
        }
        return out;
    }
}
