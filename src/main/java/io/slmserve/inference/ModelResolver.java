package io.slmserve.inference;

import io.slmserve.config.ServerConfig;
import io.slmserve.core.ErrorKind;
import io.slmserve.core.LoadedModel;
import io.slmserve.core.ModelState;
import io.slmserve.core.ModelTask;
import io.slmserve.core.ServingException;
import io.slmserve.registry.ModelEntry;
import io.slmserve.registry.ModelRegistry;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.List;
import java.util.Set;

/**
 * Finds the model a request names, or the single loaded model that serves the task when it names none,
 * and turns every way that can fail into the right error: unknown (404), loading or failed (503), wrong
 * task or ambiguous (400).
 */
@ApplicationScoped
public class ModelResolver {

    private final ModelRegistry registry;
    private final int retryAfterSeconds;

    public ModelResolver(ModelRegistry registry, ServerConfig config) {
        this.registry = registry;
        this.retryAfterSeconds = config.limits().retryAfterSeconds();
    }

    public LoadedModel resolve(String modelId, Set<ModelTask> tasks) {
        String requested = requested(modelId);
        ModelEntry entry = requested == null ? defaultFor(tasks) : named(requested);
        if (entry.state() == ModelState.LOADING) {
            throw ServingException.notReady(entry.id(), "still loading", retryAfterSeconds);
        }
        if (entry.state() == ModelState.FAILED) {
            throw new ServingException(ErrorKind.MODEL_NOT_READY,
                    "model '" + entry.id() + "' failed to load: " + entry.reason(), "model");
        }
        LoadedModel model = entry.loaded().orElseThrow();
        if (!tasks.contains(model.spec().task())) {
            throw ServingException.invalid("model", "model '" + entry.id() + "' serves " + model.spec().task().id()
                    + ", not " + tasks.stream().map(ModelTask::id).sorted().toList());
        }
        return model;
    }

    /**
     * The model id a request names, or null when it names none. A blank id or an http(s) URL names none: Hugging
     * Face's InferenceClient puts its endpointUrl in {@code model}, and TGI ignores the field likewise.
     */
    public static String requested(String modelId) {
        if (modelId == null || modelId.isBlank()) {
            return null;
        }
        String lower = modelId.trim().toLowerCase(java.util.Locale.ROOT);
        return lower.startsWith("http://") || lower.startsWith("https://") ? null : modelId;
    }

    /**
     * The models a request without a model id could mean, by id with their task: those serving any of the tasks,
     * the failed ones left out unless every one failed (as for the default model).
     */
    public java.util.Map<String, ModelTask> candidates(Set<ModelTask> tasks) {
        java.util.Map<String, ModelTask> out = new java.util.TreeMap<>();
        for (ModelEntry e : healthyServing(tasks)) {
            out.put(e.id(), e.spec().orElseThrow().task());
        }
        return out;
    }

    /** The task of a named model, checked as {@link #resolve} checks it (404 unknown, 503 loading or failed). */
    public ModelTask taskOf(String modelId) {
        return resolve(modelId, java.util.EnumSet.allOf(ModelTask.class)).spec().task();
    }

    private ModelEntry named(String modelId) {
        return registry.find(modelId).orElseThrow(() -> new ServingException(ErrorKind.MODEL_NOT_FOUND,
                "model '" + modelId + "' does not exist; GET /v1/models lists the models", "model"));
    }

    private List<ModelEntry> healthyServing(Set<ModelTask> tasks) {
        List<ModelEntry> serving = registry.all().stream()
                .filter(e -> e.spec().map(s -> tasks.contains(s.task())).orElse(false))
                .toList();
        // A model that failed to load does not make the choice ambiguous; it answers only if it is the sole one.
        List<ModelEntry> healthy = serving.stream().filter(e -> e.state() != ModelState.FAILED).toList();
        return healthy.isEmpty() ? serving : healthy;
    }

    private ModelEntry defaultFor(Set<ModelTask> tasks) {
        List<ModelEntry> candidates = healthyServing(tasks);
        if (candidates.isEmpty()) {
            throw new ServingException(ErrorKind.MODEL_NOT_FOUND, "no model serves "
                    + tasks.stream().map(ModelTask::id).sorted().toList(), "model");
        }
        if (candidates.size() > 1) {
            // option.default=false (serving.properties) keeps a folder out of the choice, so that adding a second
            // model of a task (nano-llama beside nano-gpt) keeps callers that name no model working
            List<ModelEntry> preferred = candidates.stream()
                    .filter(e -> e.spec().map(s -> !"false".equals(s.options().get("default"))).orElse(true))
                    .toList();
            if (preferred.size() == 1) {
                return preferred.get(0);
            }
            throw ServingException.invalid("model", "several models serve this task "
                    + candidates.stream().map(ModelEntry::id).toList() + "; name one in 'model'");
        }
        return candidates.get(0);
    }
}
