package io.slmserve.inference;

import io.slmserve.config.ServerConfig;
import io.slmserve.core.ErrorKind;
import io.slmserve.core.ServingException;
import io.slmserve.registry.ModelRegistry;
import jakarta.enterprise.context.ApplicationScoped;
import java.nio.file.Path;
import java.util.regex.Pattern;

/**
 * Run-time model management (as DJL Serving and TorchServe offer): register a folder, unregister a model after
 * draining its queue, scale its workers. Registration only accepts folders inside the models directory, so the
 * endpoint cannot be used to load arbitrary files from the host.
 */
@ApplicationScoped
public class ModelManagement {

    private static final Pattern ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,127}");

    private final ModelRegistry registry;
    private final ModelPools pools;
    private final ModelCatalog catalog;
    private final Path modelsDir;
    private final io.slmserve.adapters.AdapterRegistry adapters;

    public ModelManagement(ModelRegistry registry, ModelPools pools, ModelCatalog catalog, ServerConfig config,
                           io.slmserve.adapters.AdapterRegistry adapters) {
        this.adapters = adapters;
        this.registry = registry;
        this.pools = pools;
        this.catalog = catalog;
        this.modelsDir = config.modelsDir().toAbsolutePath().normalize();
    }

    /**
     * @param url  the folder, absolute or relative to the models directory (a {@code file:} prefix is allowed)
     * @param name the model id; defaults to the folder name
     */
    public ModelInfo register(String url, String name) {
        if (url == null || url.isBlank()) {
            throw ServingException.invalid("url", "'url' (the model folder) is required");
        }
        Path dir = modelsDir.resolve(url.replaceFirst("^file:(//)?", "")).toAbsolutePath().normalize();
        if (!dir.startsWith(modelsDir)) {
            throw new ServingException(ErrorKind.FORBIDDEN, "model folders must be inside " + modelsDir, "url");
        }
        String id = name == null || name.isBlank() ? dir.getFileName().toString() : name;
        if (!ID.matcher(id).matches()) {
            throw ServingException.invalid("model_name", "model_name must match " + ID.pattern());
        }
        registry.register(id, dir);
        return catalog.get(id);
    }

    public void unregister(String id) {
        registry.unregister(id);
    }

    /** Adds a LoRA adapter folder (inside the models directory) to a READY decoder; checked before it is listed. */
    public ModelInfo registerAdapter(String id, String name, String url) {
        adapters.register(id, name, url);
        return catalog.get(id);
    }

    /** Removes an adapter: new requests naming it get 404, running ones finish with its weights. */
    public void unregisterAdapter(String id, String name) {
        adapters.unregister(id, name);
    }

    public ModelInfo scale(String id, Integer minWorkers, Integer maxWorkers) {
        ModelInfo current = catalog.get(id);
        if (current.pool() == null) {
            throw ServingException.notReady(id, "it has no running worker pool", 1);
        }
        if (current.spec() != null && current.spec().family() != io.slmserve.core.ModelFamily.ENCODER) {
            // Each generation worker owns a whole KV cache; its worker count is fixed at load (minWorkers).
            throw ServingException.invalid("min_worker", "model '" + id + "' is a " + current.spec().task().id()
                    + " model; its workers are fixed by minWorkers in serving.properties and cannot be scaled at run "
                    + "time");
        }
        int min = minWorkers != null ? minWorkers : current.pool().minWorkers();
        int max = maxWorkers != null ? maxWorkers : Math.max(min, current.pool().maxWorkers());
        pools.scale(id, min, max);
        return catalog.get(id);
    }
}
