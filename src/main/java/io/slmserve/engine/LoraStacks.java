package io.slmserve.engine;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.engine.PtNDArray;
import io.slmserve.core.LoraAdapter;
import io.slmserve.core.LoraTargets;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * One session's resident LoRA weights as the archive's {@code forward_lora} takes them: per target an A stack
 * {@code [L, N, R, in]} and a B stack {@code [L, N, out, R]}, slot 0 all zeros (the base), R the largest resident
 * rank (smaller ranks zero-padded, which adds exact zeros); a target no resident adapter touches is passed empty,
 * which the archive skips. A call names the adapters its rows use; one not yet
 * resident takes the slot of an adapter no row of that call uses (or a new slot past {@code capacity}), and the
 * stacks are rebuilt from the host copies. Steady traffic over a stable set of adapters therefore never rebuilds;
 * the rebuild runs on the worker thread between forward calls, so it cannot race one.
 */
final class LoraStacks implements AutoCloseable {

    private final LoraTargets targets;
    private final NDManager parent;
    private final DataType dtype;
    private final int capacity;
    /** Resident adapters; adapter i sits in stack slot i + 1. */
    private final List<LoraAdapter> resident = new ArrayList<>();
    private NDManager scope;
    private PtNDArray[] stacks;
    private long rebuilds;

    LoraStacks(LoraTargets targets, NDManager parent, DataType dtype, int capacity) {
        this.targets = targets;
        this.parent = parent;
        this.dtype = dtype;
        this.capacity = Math.max(1, capacity);
    }

    /** Makes every adapter of the call resident (rebuilding the stacks if one was not) and returns the stacks. */
    PtNDArray[] prepare(Collection<LoraAdapter> used) {
        Set<LoraAdapter> needed = new LinkedHashSet<>(used);
        needed.remove(null);
        boolean changed = false;
        for (LoraAdapter adapter : needed) {
            if (resident.contains(adapter)) {
                continue;
            }
            check(adapter);
            int victim = -1;
            if (resident.size() >= capacity) {
                for (int i = 0; i < resident.size() && victim < 0; i++) {
                    victim = needed.contains(resident.get(i)) ? -1 : i;
                }
            }
            if (victim >= 0) {
                resident.set(victim, adapter);
            } else {
                resident.add(adapter);
            }
            changed = true;
        }
        if (changed || stacks == null) {
            rebuild();
        }
        return stacks;
    }

    /** The stack slot of an adapter made resident by the last {@link #prepare}; 0 for the base (null). */
    long slotOf(LoraAdapter adapter) {
        return adapter == null ? 0 : resident.indexOf(adapter) + 1;
    }

    /** Times the stacks were built (tests: a stable adapter set must not rebuild). */
    long rebuilds() {
        return rebuilds;
    }

    private void check(LoraAdapter adapter) {
        if (adapter.layers() != targets.layers()) {
            throw new IllegalArgumentException("adapter '" + adapter.name() + "' spans " + adapter.layers()
                    + " layers; the model has " + targets.layers());
        }
        for (String target : adapter.targets()) {
            if (!targets.shapes().containsKey(target)) {
                throw new IllegalArgumentException("adapter '" + adapter.name() + "' targets '" + target
                        + "', which the model does not take");
            }
        }
    }

    private void rebuild() {
        int slots = resident.size() + 1;
        int rank = 1;
        for (LoraAdapter adapter : resident) {
            rank = Math.max(rank, adapter.rank());
        }
        NDManager next = parent.newSubManager();
        PtNDArray[] built = new PtNDArray[targets.order().size() * 2];
        int layers = targets.layers();
        int k = 0;
        for (String target : targets.order()) {
            if (resident.stream().noneMatch(adapter -> adapter.a(target) != null)) {
                // The archive skips a target whose stacks are empty: no zero GEMMs for targets nobody adapts.
                built[k++] = (PtNDArray) next.create(new float[0]);
                built[k++] = (PtNDArray) next.create(new float[0]);
                continue;
            }
            int in = targets.in(target);
            int out = targets.out(target);
            float[] a = new float[layers * slots * rank * in];
            float[] b = new float[layers * slots * out * rank];
            for (int s = 1; s < slots; s++) {
                LoraAdapter adapter = resident.get(s - 1);
                float[] sa = adapter.a(target);
                float[] sb = adapter.b(target);
                if (sa == null) {
                    continue;
                }
                int r = adapter.rank();
                for (int l = 0; l < layers; l++) {
                    System.arraycopy(sa, l * r * in, a, ((l * slots + s) * rank) * in, r * in);
                    for (int o = 0; o < out; o++) {
                        System.arraycopy(sb, (l * out + o) * r, b, ((l * slots + s) * out + o) * rank, r);
                    }
                }
            }
            built[k++] = cast(next.create(a, new Shape(layers, slots, rank, in)));
            built[k++] = cast(next.create(b, new Shape(layers, slots, out, rank)));
        }
        if (scope != null) {
            scope.close();
        }
        scope = next;
        stacks = built;
        rebuilds++;
    }

    private PtNDArray cast(NDArray array) {
        return (PtNDArray) (array.getDataType() == dtype ? array : array.toType(dtype, false));
    }

    @Override
    public void close() {
        if (scope != null) {
            scope.close();
            scope = null;
        }
    }
}
