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
        ModelEntry entry = modelId == null || modelId.isBlank() ? defaultFor(tasks) : named(modelId);
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

    private ModelEntry named(String modelId) {
        return registry.find(modelId).orElseThrow(() -> new ServingException(ErrorKind.MODEL_NOT_FOUND,
                "model '" + modelId + "' does not exist; GET /v1/models lists the models", "model"));
    }

    private ModelEntry defaultFor(Set<ModelTask> tasks) {
        List<ModelEntry> serving = registry.all().stream()
                .filter(e -> e.spec().map(s -> tasks.contains(s.task())).orElse(false))
                .toList();
        // A model that failed to load does not make the choice ambiguous; it answers only if it is the sole one.
        List<ModelEntry> healthy = serving.stream().filter(e -> e.state() != ModelState.FAILED).toList();
        List<ModelEntry> candidates = healthy.isEmpty() ? serving : healthy;
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
