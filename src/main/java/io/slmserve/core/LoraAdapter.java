package io.slmserve.core;

import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * One loaded LoRA adapter in the archive's layout (docs/model-format-decoder.md, "LoRA adapters"): for each target
 * it touches, A stacked over the base's layers as {@code [layers, rank, in]} and B as {@code [layers, out, rank]},
 * float32 row-major, with the PEFT scaling already folded into B. Immutable; equality is identity, so a running
 * sequence keeps the exact weights it started with even when an adapter of the same name is removed and added
 * again.
 *
 * @see DecoderSession.DecoderRow#adapter()
 */
public final class LoraAdapter {

    private final String name;
    private final int rank;
    private final int layers;
    private final Map<String, float[]> a;
    private final Map<String, float[]> b;

    public LoraAdapter(String name, int rank, int layers, Map<String, float[]> a, Map<String, float[]> b) {
        this.name = Objects.requireNonNull(name, "name");
        if (rank <= 0 || layers <= 0) {
            throw new IllegalArgumentException("rank and layers must be > 0");
        }
        if (!a.keySet().equals(b.keySet()) || a.isEmpty()) {
            throw new IllegalArgumentException("every target needs both A and B");
        }
        this.rank = rank;
        this.layers = layers;
        this.a = Map.copyOf(a);
        this.b = Map.copyOf(b);
    }

    public String name() {
        return name;
    }

    public int rank() {
        return rank;
    }

    public int layers() {
        return layers;
    }

    /** The archive target names this adapter changes. */
    public List<String> targets() {
        return a.keySet().stream().sorted().toList();
    }

    /** A of a target, {@code [layers, rank, in]}, or null when the adapter does not touch it. Do not modify. */
    public float[] a(String target) {
        return a.get(target);
    }

    /** B of a target (scaling folded in), {@code [layers, out, rank]}, or null. Do not modify. */
    public float[] b(String target) {
        return b.get(target);
    }

    /** Host memory of the weights as loaded (float32). */
    public long bytes() {
        long floats = 0;
        for (String t : a.keySet()) {
            floats += a.get(t).length + b.get(t).length;
        }
        return floats * Float.BYTES;
    }

    @Override
    public String toString() {
        return "LoraAdapter[" + name + ", r=" + rank + ", " + targets() + "]";
    }
}
