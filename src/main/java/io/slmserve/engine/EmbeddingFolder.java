package io.slmserve.engine;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.slmserve.core.EmbeddingSetup;
import io.slmserve.core.ModelLoadException;
import io.slmserve.core.ModelSpec;
import io.slmserve.core.Pooling;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads how a folder says its embeddings are made, the way sentence-transformers and Hugging Face TEI read
 * it: {@code option.pooling} in serving.properties first, else the Pooling module of modules.json
 * (1_Pooling/config.json), else TEI's default (CLS for BERT-family model types; any other model type must
 * declare one). A Normalize module in modules.json (or {@code option.normalize}) sets the default
 * normalisation; config_sentence_transformers.json supplies prompts.
 */
final class EmbeddingFolder {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String POOLING_MODULE = "sentence_transformers.models.Pooling";
    private static final String NORMALIZE_MODULE = "sentence_transformers.models.Normalize";
    private static final Map<String, Pooling> MODES = Map.of(
            "pooling_mode_cls_token", Pooling.CLS,
            "pooling_mode_mean_tokens", Pooling.MEAN,
            "pooling_mode_max_tokens", Pooling.MAX,
            "pooling_mode_lasttoken", Pooling.LAST_TOKEN);

    private EmbeddingFolder() {
    }

    /**
     * @param modelType config.json model_type (decides TEI's default)
     * @param hidden    the width the archive returns, checked against word_embedding_dimension
     */
    static EmbeddingSetup read(ModelSpec spec, String modelType, int hidden) throws ModelLoadException {
        Path dir = spec.dir();
        try {
            JsonNode modules = readJson(dir.resolve("modules.json"));
            Pooling pooling;
            String source;
            String override = spec.options().get("pooling");
            Path poolingConfig = dir.resolve(modulePath(modules, POOLING_MODULE, "1_Pooling")).resolve("config.json");
            if (override != null) {
                pooling = parseOption(override);
                source = "serving.properties option.pooling";
            } else if (Files.isRegularFile(poolingConfig)) {
                pooling = fromPoolingConfig(readJson(poolingConfig), hidden, dir.relativize(poolingConfig));
                source = dir.relativize(poolingConfig).toString().replace('\\', '/');
            } else if (modelType != null && modelType.toLowerCase(java.util.Locale.ROOT).contains("bert")) {
                pooling = Pooling.CLS;
                source = "default (no pooling configuration; CLS for a BERT-family model, as TEI)";
            } else {
                throw new ModelLoadException("no pooling configuration for model_type " + modelType
                        + ": add 1_Pooling/config.json or set option.pooling (cls, mean, max, lasttoken)");
            }
            String normalizeOption = spec.options().get("normalize");
            boolean normalize = normalizeOption != null ? Boolean.parseBoolean(normalizeOption.trim())
                    : modules == null || hasModule(modules, NORMALIZE_MODULE);
            JsonNode st = readJson(dir.resolve("config_sentence_transformers.json"));
            Map<String, String> prompts = new LinkedHashMap<>();
            String defaultPrompt = null;
            if (st != null) {
                JsonNode p = st.path("prompts");
                for (Iterator<Map.Entry<String, JsonNode>> it = p.fields(); it.hasNext(); ) {
                    Map.Entry<String, JsonNode> e = it.next();
                    prompts.put(e.getKey(), e.getValue().asText(""));
                }
                JsonNode d = st.get("default_prompt_name");
                if (d != null && !d.isNull()) {
                    defaultPrompt = d.asText();
                    if (!prompts.containsKey(defaultPrompt)) {
                        throw new ModelLoadException("config_sentence_transformers.json default_prompt_name '"
                                + defaultPrompt + "' is not one of its prompts " + prompts.keySet());
                    }
                }
            }
            return new EmbeddingSetup(pooling, normalize, source, prompts, defaultPrompt);
        } catch (IOException e) {
            throw new ModelLoadException("unreadable sentence-transformers files: " + e.getMessage(), e);
        }
    }

    private static Pooling parseOption(String value) throws ModelLoadException {
        try {
            return Pooling.fromId(value);
        } catch (IllegalArgumentException e) {
            throw new ModelLoadException("serving.properties option.pooling: " + e.getMessage());
        }
    }

    private static Pooling fromPoolingConfig(JsonNode config, int hidden, Path file) throws ModelLoadException {
        List<String> on = new ArrayList<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = config.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            if (e.getKey().startsWith("pooling_mode_") && e.getValue().asBoolean(false)) {
                on.add(e.getKey());
            }
        }
        if (on.size() != 1) {
            throw new ModelLoadException(file + " must enable exactly one pooling mode, enables " + on);
        }
        Pooling pooling = MODES.get(on.get(0));
        if (pooling == null) {
            throw new ModelLoadException(file + ": unsupported pooling mode " + on.get(0) + " (supported: "
                    + MODES.keySet().stream().sorted().toList() + ")");
        }
        JsonNode dim = config.get("word_embedding_dimension");
        if (dim != null && dim.canConvertToInt() && dim.asInt() != hidden) {
            throw new ModelLoadException(file + " says word_embedding_dimension " + dim.asInt()
                    + " but model.pt returns hidden size " + hidden);
        }
        return pooling;
    }

    private static String modulePath(JsonNode modules, String type, String fallback) {
        if (modules != null) {
            for (JsonNode module : modules) {
                if (type.equals(module.path("type").asText())) {
                    return module.path("path").asText(fallback);
                }
            }
        }
        return fallback;
    }

    private static boolean hasModule(JsonNode modules, String type) {
        for (JsonNode module : modules) {
            if (type.equals(module.path("type").asText())) {
                return true;
            }
        }
        return false;
    }

    private static JsonNode readJson(Path file) throws IOException {
        return Files.isRegularFile(file) ? JSON.readTree(file.toFile()) : null;
    }
}
