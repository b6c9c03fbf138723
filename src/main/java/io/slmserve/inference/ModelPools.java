package io.slmserve.inference;

import io.slmserve.batching.BatchPolicy;
import io.slmserve.batching.DynamicBatcher;
import io.slmserve.config.ServerConfig;
import io.slmserve.core.LoadedModel;
import io.slmserve.core.ModelSpec;
import io.slmserve.core.ServingException;
import io.slmserve.core.ServingMetrics;
import io.slmserve.registry.ModelActivation;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/** The worker pool of every active encoder model, started when the registry activates the model. */
@ApplicationScoped
public class ModelPools implements ModelActivation {

    private final ServingMetrics metrics;
    private final int retryAfterSeconds;
    private final Map<String, DynamicBatcher<EncoderJob, EncoderResult>> encoders = new ConcurrentHashMap<>();

    public ModelPools(ServingMetrics metrics, ServerConfig config) {
        this.metrics = metrics;
        this.retryAfterSeconds = config.limits().retryAfterSeconds();
    }

    @Override
    public void activate(LoadedModel model) {
        if (model.encoder() == null) {
            return;
        }
        ModelSpec spec = model.spec();
        BatchPolicy policy = new BatchPolicy(spec.batchSize(), spec.maxBatchTokens(), spec.maxBatchDelay());
        DynamicBatcher<EncoderJob, EncoderResult> batcher = new DynamicBatcher<>(spec.id(), spec.jobQueueSize(), policy,
                spec.minWorkers(), spec.maxWorkers(),
                () -> new EncoderProcessor(model.encoder().openSession(), spec.task(), spec.batchSize()),
                metrics, retryAfterSeconds);
        DynamicBatcher<EncoderJob, EncoderResult> previous = encoders.put(spec.id(), batcher);
        if (previous != null) {
            previous.close();
        }
    }

    @Override
    public void deactivate(String modelId) {
        DynamicBatcher<EncoderJob, EncoderResult> batcher = encoders.remove(modelId);
        if (batcher != null) {
            batcher.close();
        }
    }

    Optional<DynamicBatcher<EncoderJob, EncoderResult>> encoder(String modelId) {
        return Optional.ofNullable(encoders.get(modelId));
    }

    /** Workers and queue depth for the model list; empty when the model has no pool. */
    public Optional<PoolStats> stats(String modelId) {
        return encoder(modelId).map(b -> new PoolStats(b.workerCount(), b.queueDepth(), b.minWorkers(), b.maxWorkers()));
    }

    /**
     * Changes a running model's worker bounds.
     *
     * @throws ServingException MODEL_NOT_READY when the model has no running pool
     */
    public void scale(String modelId, int minWorkers, int maxWorkers) {
        DynamicBatcher<EncoderJob, EncoderResult> batcher = encoder(modelId).orElseThrow(() ->
                ServingException.notReady(modelId, "it has no running worker pool", retryAfterSeconds));
        try {
            batcher.resize(minWorkers, maxWorkers);
        } catch (IllegalArgumentException e) {
            throw ServingException.invalid("min_worker", e.getMessage());
        }
    }

    /** Live numbers of one pool. */
    public record PoolStats(int workers, int queueDepth, int minWorkers, int maxWorkers) {
    }
}
