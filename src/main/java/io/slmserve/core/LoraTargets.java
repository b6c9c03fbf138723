package io.slmserve.core;

import java.util.List;
import java.util.Map;

/**
 * What a decoder archive accepts as LoRA adapters: its target names in the order its {@code forward_lora} takes
 * their stacks, each target's {@code [in_features, out_features]}, and the number of layers the stacks span.
 */
public record LoraTargets(List<String> order, Map<String, int[]> shapes, int layers) {

    public LoraTargets {
        order = List.copyOf(order);
        shapes = Map.copyOf(shapes);
        if (!shapes.keySet().containsAll(order) || layers <= 0) {
            throw new IllegalArgumentException("every target needs a shape, and layers must be > 0");
        }
    }

    public int in(String target) {
        return shapes.get(target)[0];
    }

    public int out(String target) {
        return shapes.get(target)[1];
    }
}
