package io.slmserve.inference;

import io.slmserve.adapters.AdapterEntry;
import io.slmserve.adapters.AdapterRegistry;
import io.slmserve.core.ErrorKind;
import io.slmserve.core.ServingException;
import io.slmserve.generation.GenerationPool;
import io.slmserve.registry.ModelEntry;
import io.slmserve.registry.ModelRegistry;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.List;

/** Read-only view of every model folder with its state and live pool numbers. */
@ApplicationScoped
public class ModelCatalog {

    private final ModelRegistry registry;
    private final ModelPools pools;
    private final DecoderPools decoders;
    private final AdapterRegistry adapters;

    public ModelCatalog(ModelRegistry registry, ModelPools pools, DecoderPools decoders, AdapterRegistry adapters) {
        this.adapters = adapters;
        this.registry = registry;
        this.pools = pools;
        this.decoders = decoders;
    }

    public List<ModelInfo> list() {
        return registry.all().stream().map(this::info).toList();
    }

    public ModelInfo get(String id) {
        return registry.find(id).map(this::info).orElseThrow(() -> new ServingException(ErrorKind.MODEL_NOT_FOUND,
                "model '" + id + "' does not exist", "model"));
    }

    private ModelInfo info(ModelEntry entry) {
        return new ModelInfo(entry.id(), entry.state(), entry.reason(), entry.spec().orElse(null),
                pools.stats(entry.id()).or(() -> decoders.stats(entry.id())).orElse(null),
                decoders.pool(entry.id()).map(GenerationPool::info).orElse(null),
                entry.loaded().map(m -> m.encoder() == null ? null : m.encoder().embedding()).orElse(null),
                adapters.list(entry.id()).stream().map(ModelCatalog::adapter).toList());
    }

    private static ModelInfo.Adapter adapter(AdapterEntry e) {
        return e.loaded() ? new ModelInfo.Adapter(e.name(), null, e.adapter().rank(), e.adapter().targets(),
                e.bytes()) : new ModelInfo.Adapter(e.name(), e.reason(), 0, List.of(), 0);
    }
}
