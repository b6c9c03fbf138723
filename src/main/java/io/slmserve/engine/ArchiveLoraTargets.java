package io.slmserve.engine;

import ai.djl.ndarray.NDList;
import ai.djl.pytorch.engine.PtSymbolBlock;
import ai.djl.pytorch.jni.IValue;
import ai.djl.pytorch.jni.IValueUtils;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.repository.zoo.ZooModel;
import io.slmserve.core.LoraTargets;
import io.slmserve.core.ModelLoadException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads what LoRA adapters a decoder archive takes (docs/model-format-decoder.md): {@code lora_targets()},
 * {@code lora_target_shapes()} and the layer count from the shape of a one-slot {@code new_cache_tensor}. An
 * archive from before LoRA has no {@code lora_targets} and serves the base only.
 */
final class ArchiveLoraTargets {

    static final List<String> METHODS = List.of("lora_targets", "lora_target_shapes", "forward_lora",
            "forward_mixed_lora", "logits_all_lora");

    private ArchiveLoraTargets() {
    }

    /** The archive's targets, or null when it has no LoRA methods. */
    static LoraTargets read(ZooModel<NDList, NDList> model) throws ModelLoadException {
        PtSymbolBlock block = (PtSymbolBlock) model.getBlock();
        List<String> have = Arrays.asList(JniUtils.getMethodNames(block));
        if (!have.contains("lora_targets")) {
            return null;
        }
        if (!have.containsAll(METHODS)) {
            throw new ModelLoadException("model.pt has lora_targets but not all of " + METHODS
                    + " (re-export the model with models/tools/convert.py)");
        }
        List<String> order = new ArrayList<>();
        try (IValue targets = IValueUtils.runMethod(block, "lora_targets")) {
            for (IValue name : targets.toIValueArray()) {
                order.add(name.toStringValue());
                name.close();
            }
        }
        Map<String, int[]> shapes = new LinkedHashMap<>();
        try (IValue map = IValueUtils.runMethod(block, "lora_target_shapes")) {
            for (Map.Entry<String, IValue> e : map.toIValueMap().entrySet()) {
                long[] shape = e.getValue().toLongArray();
                e.getValue().close();
                if (shape.length != 2) {
                    throw new ModelLoadException("lora_target_shapes()['" + e.getKey() + "'] must be [in, out]");
                }
                shapes.put(e.getKey(), new int[] {Math.toIntExact(shape[0]), Math.toIntExact(shape[1])});
            }
        }
        int layers;
        try (IValue one = IValue.from(1L); IValue cache = IValueUtils.runMethod(block, "new_cache_tensor", one, one);
             var scope = (ai.djl.pytorch.engine.PtNDManager) model.getNDManager().newSubManager()) {
            layers = Math.toIntExact(cache.toTensor(scope).getShape().get(0));
        }
        try {
            return new LoraTargets(order, shapes, layers);
        } catch (IllegalArgumentException e) {
            throw new ModelLoadException("model.pt's LoRA targets " + order + " do not match lora_target_shapes "
                    + shapes.keySet(), e);
        }
    }
}
