package io.slmserve.inference;

import io.slmserve.config.ServerConfig;
import io.slmserve.core.LoadedModel;
import io.slmserve.core.ModelSpec;
import io.slmserve.core.ServingMetrics;
import io.slmserve.generation.GenerationPool;
import io.slmserve.generation.SchedulerLimits;
import io.slmserve.registry.ModelActivation;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The generation pool of every active decoder model, started when the registry activates the model: one
 * worker thread per {@code minWorkers}, each with {@code batch_size} KV-cache slots.
 */
@ApplicationScoped
public class DecoderPools implements ModelActivation {

    private final ServingMetrics metrics;
    private final int retryAfterSeconds;
    private final Map<String, GenerationPool> pools = new ConcurrentHashMap<>();

    public DecoderPools(ServingMetrics metrics, ServerConfig config) {
        this.metrics = metrics;
        this.retryAfterSeconds = config.limits().retryAfterSeconds();
    }

    @Override
    public void activate(LoadedModel model) {
        if (model.decoder() == null) {
            return;
        }
        ModelSpec spec = model.spec();
        // Each worker owns a whole cache, so workers are fixed at start rather than grown on demand.
        SchedulerLimits limits = new SchedulerLimits(spec.batchSize(), spec.maxBatchTokens(), spec.jobQueueSize(),
                spec.minWorkers(), retryAfterSeconds, prefixCacheMinTokens(spec));
        GenerationPool pool = new GenerationPool(spec.id(), model.decoder().info(), model.tokenizer(), limits,
                model.decoder()::openSession, metrics);
        GenerationPool previous = pools.put(spec.id(), pool);
        if (previous != null) {
            previous.close();
        }
    }

    /** option.enable_prefix_caching (default true) and option.prefix_cache_min_tokens (default 16); 0 = off. */
    static int prefixCacheMinTokens(ModelSpec spec) {
        return Boolean.parseBoolean(spec.option("enable_prefix_caching", "true"))
                ? Integer.parseInt(spec.option("prefix_cache_min_tokens", "16")) : 0;
    }

    @Override
    public void deactivate(String modelId) {
        GenerationPool pool = pools.remove(modelId);
        if (pool != null) {
            pool.close();
        }
    }

    Optional<GenerationPool> pool(String modelId) {
        return Optional.ofNullable(pools.get(modelId));
    }

    /** Workers and waiting sequences for the model list; empty when the model has no generation pool. */
    public Optional<ModelPools.PoolStats> stats(String modelId) {
        return pool(modelId).map(p -> new ModelPools.PoolStats(p.workerCount(), p.waiting(), p.workerCount(),
                p.workerCount()));
    }
}
