package io.slmserve.adapters;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.slmserve.core.LoraAdapter;
import io.slmserve.core.LoraTargets;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

/**
 * Reads a converted adapter folder (lora.json, lora.safetensors, and the PEFT adapter_config.json kept for
 * provenance; docs/model-format-decoder.md) and checks it against the base archive's targets, so that a bad adapter
 * is refused with the fault named when it is registered, never at its first request.
 */
public final class AdapterFolder {

    static final String FORMAT = "slm-lora-1";
    private static final ObjectMapper JSON = new ObjectMapper();

    private AdapterFolder() {
    }

    /** A fault in an adapter folder: the message names it. */
    public static final class InvalidAdapter extends Exception {
        InvalidAdapter(String message) {
            super(message);
        }
    }

    /**
     * @param targets the base archive's LoRA targets, or null when it has none
     * @throws InvalidAdapter naming the fault: missing file, raw PEFT folder, modules_to_save, unknown target,
     *                        rank or shape mismatch
     */
    public static LoraAdapter read(String name, Path dir, LoraTargets targets) throws InvalidAdapter {
        if (targets == null) {
            throw new InvalidAdapter("the base model's model.pt has no LoRA methods (lora_targets): re-export the "
                    + "model with models/tools/convert.py to serve adapters");
        }
        if (!Files.isDirectory(dir)) {
            throw new InvalidAdapter("adapter folder " + dir + " does not exist");
        }
        try {
            checkPeftConfig(dir.resolve("adapter_config.json"));
            Path meta = dir.resolve("lora.json");
            if (!Files.isRegularFile(meta)) {
                if (Files.isRegularFile(dir.resolve("adapter_model.safetensors"))) {
                    throw new InvalidAdapter("missing file lora.json: this is a raw PEFT folder; run "
                            + "models/tools/convert_lora.py --base MODEL_FOLDER --peft " + dir.getFileName()
                            + " --out OUT_FOLDER and register OUT_FOLDER");
                }
                throw new InvalidAdapter("missing file lora.json in " + dir.getFileName());
            }
            JsonNode json = JSON.readTree(meta.toFile());
            if (!FORMAT.equals(json.path("format").asText())) {
                throw new InvalidAdapter("lora.json format is '" + json.path("format").asText() + "', not '" + FORMAT
                        + "'");
            }
            int rank = json.path("rank").asInt(0);
            if (rank <= 0) {
                throw new InvalidAdapter("lora.json needs a positive rank");
            }
            int layers = json.path("layers").asInt(targets.layers());
            if (layers != targets.layers()) {
                throw new InvalidAdapter("layer mismatch: lora.json says " + layers + " layers, the base model has "
                        + targets.layers());
            }
            Path weights = dir.resolve("lora.safetensors");
            if (!Files.isRegularFile(weights)) {
                throw new InvalidAdapter("missing file lora.safetensors in " + dir.getFileName());
            }
            SafetensorsFile file = SafetensorsFile.read(weights);
            Map<String, float[]> a = new HashMap<>();
            Map<String, float[]> b = new HashMap<>();
            JsonNode listed = json.path("targets");
            if (!listed.isArray() || listed.isEmpty()) {
                throw new InvalidAdapter("lora.json lists no targets");
            }
            for (JsonNode t : listed) {
                String target = t.asText();
                if (!targets.shapes().containsKey(target)) {
                    throw new InvalidAdapter("unknown target module '" + target + "': the base model takes "
                            + targets.order());
                }
                int in = targets.in(target);
                int out = targets.out(target);
                a.put(target, tensor(file, target + ".a", new long[] {layers, rank, in}, rank));
                b.put(target, tensor(file, target + ".b", new long[] {layers, out, rank}, rank));
            }
            return new LoraAdapter(name, rank, layers, a, b);
        } catch (IOException e) {
            throw new InvalidAdapter("cannot read adapter " + dir.getFileName() + ": " + e.getMessage());
        }
    }

    private static float[] tensor(SafetensorsFile file, String key, long[] expected, int rank)
            throws InvalidAdapter, IOException {
        SafetensorsFile.Entry entry = file.entries().get(key);
        if (entry == null) {
            throw new InvalidAdapter("lora.safetensors has no tensor '" + key + "'");
        }
        if (!Arrays.equals(entry.shape(), expected)) {
            int rankAxis = key.endsWith(".a") ? 1 : 2;
            boolean rankOnly = entry.shape().length == 3 && Arrays.equals(withAxis(expected, rankAxis,
                    entry.shape()[rankAxis]), entry.shape());
            throw new InvalidAdapter((rankOnly ? "rank mismatch: lora.json says r=" + rank + " but '" + key
                    + "' has rank " + entry.shape()[rankAxis] : "shape mismatch: '" + key + "' is "
                    + Arrays.toString(entry.shape()) + ", the base model needs " + Arrays.toString(expected)));
        }
        return file.floats(key);
    }

    private static long[] withAxis(long[] shape, int axis, long value) {
        long[] copy = shape.clone();
        copy[axis] = value;
        return copy;
    }

    /** The PEFT config, when present: only plain LoRA without extra trained modules can be served as a delta. */
    private static void checkPeftConfig(Path file) throws IOException, InvalidAdapter {
        if (!Files.isRegularFile(file)) {
            return;
        }
        JsonNode config = JSON.readTree(file.toFile());
        String type = config.path("peft_type").asText("LORA");
        if (!type.equalsIgnoreCase("LORA")) {
            throw new InvalidAdapter("adapter_config.json peft_type is " + type + "; only LORA adapters are served");
        }
        JsonNode saved = config.path("modules_to_save");
        if (!saved.isMissingNode() && !saved.isNull() && !(saved.isArray() && saved.isEmpty())) {
            throw new InvalidAdapter("adapter_config.json sets modules_to_save " + saved + ": adapters that replace "
                    + "whole modules are not supported (only low-rank deltas)");
        }
        String bias = config.path("bias").asText("none");
        if (!bias.equals("none")) {
            throw new InvalidAdapter("adapter_config.json bias is '" + bias + "'; only bias \"none\" is supported");
        }
    }
}
