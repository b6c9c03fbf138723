package io.slmserve.generation;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Which sequence holds each KV-cache slot of one worker, and the token budget they hold together. A beam
 * search holds one slot per beam; its first slot stands for it. Used by the worker thread only; the shared
 * running count is lowered here when a sequence leaves (the waiting queue raises it when a worker takes one).
 */
final class SlotTable {

    private final Sequence[] slots;
    private final AtomicInteger running;
    private int budgetUsed;

    SlotTable(int slots, AtomicInteger running) {
        this.slots = new Sequence[slots];
        this.running = running;
    }

    /** Each sequence holding slots, once. */
    List<Sequence> sequences() {
        List<Sequence> out = new ArrayList<>();
        for (int i = 0; i < slots.length; i++) {
            if (slots[i] != null && slots[i].slot == i) {
                out.add(slots[i]);
            }
        }
        return out;
    }

    int free() {
        int free = 0;
        for (Sequence s : slots) {
            if (s == null) {
                free++;
            }
        }
        return free;
    }

    /** Whether a sequence of this budget fits the per-worker token limit (one always fits an empty worker). */
    boolean fits(int budget, int maxBatchTotalTokens) {
        return budgetUsed == 0 || budgetUsed + budget <= maxBatchTotalTokens;
    }

    /** The first {@code n} free slots (the caller checked there are enough). */
    int[] firstFree(int n) {
        int[] free = new int[n];
        for (int slot = 0, i = 0; i < n; slot++) {
            if (slots[slot] == null) {
                free[i++] = slot;
            }
        }
        return free;
    }

    /** Whether the sequence still holds its (first) slot. */
    boolean holds(Sequence s) {
        return s.slot >= 0 && slots[s.slot] == s;
    }

    boolean isFree(int slot) {
        return slots[slot] == null;
    }

    /** Gives the sequence these {@code s.width()} free slots (chosen by the caller's eviction order). */
    void take(Sequence s, int[] taken) {
        for (int slot : taken) {
            if (slots[slot] != null) {
                throw new IllegalStateException("slot " + slot + " is not free");
            }
            slots[slot] = s;
        }
        s.slot = taken[0];
        if (s.beams() != null) {
            s.beams().assign(taken);
        }
        budgetUsed += s.budget();
    }

    /** Frees every slot the sequence holds; a no-op when it holds none (already released). */
    void release(Sequence s) {
        boolean held = false;
        for (int i = 0; i < slots.length; i++) {
            if (slots[i] == s) {
                slots[i] = null;
                held = true;
            }
        }
        if (held) {
            budgetUsed -= s.budget();
            running.decrementAndGet();
        }
    }
}
