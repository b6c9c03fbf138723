package io.slmserve.observability;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.slmserve.core.ServingMetrics;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.function.IntSupplier;

/**
 * Micrometer meters, named after TGI/TEI where they have a twin. In Prometheus: slm_request_duration_seconds,
 * slm_queue_size, slm_queue_wait_seconds, slm_batch_size, slm_batch_tokens, slm_input_tokens; for generation
 * slm_running_sequences, slm_waiting_sequences, slm_time_to_first_token_seconds, slm_inter_token_latency_seconds,
 * slm_generated_tokens and slm_decoder_step_rows (phase prefill, decode or mixed); with prefix caching
 * slm_prefix_cache_prompt_tokens_total, slm_prefix_cache_hit_tokens_total and slm_prefix_cache_hit_rate (hit
 * over prompt tokens since start; rate() of the two counters gives it over a window).
 */
@ApplicationScoped
public class MicrometerServingMetrics implements ServingMetrics {

    private static final double[] BATCH_BUCKETS = {1, 2, 4, 8, 16, 32, 64, 128, 256};
    private static final double[] TOKEN_BUCKETS = {8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096, 8192};

    private final MeterRegistry registry;

    public MicrometerServingMetrics(MeterRegistry registry) {
        this.registry = registry;
    }

    @Override
    public void queueDepthGauge(String model, IntSupplier depth) {
        // Strong reference: a gauge holds its object weakly by default, and this supplier is held nowhere else.
        io.micrometer.core.instrument.Gauge.builder("slm.queue.size", depth, d -> d.getAsInt())
                .description("Requests waiting in the model's queue").tag("model", model).strongReference(true)
                .register(registry);
    }

    @Override
    public void queueWait(String model, long nanos) {
        Timer.builder("slm.queue.wait").description("Time a request waited in its model's queue")
                .tag("model", model).publishPercentileHistogram()
                .minimumExpectedValue(Duration.ofNanos(100_000)).maximumExpectedValue(Duration.ofSeconds(30))
                .register(registry).record(nanos, TimeUnit.NANOSECONDS);
    }

    @Override
    public void batch(String model, int rows, int paddedTokens) {
        DistributionSummary.builder("slm.batch.size").description("Rows per forward call")
                .tag("model", model).serviceLevelObjectives(BATCH_BUCKETS)
                .register(registry).record(rows);
        DistributionSummary.builder("slm.batch.tokens").description("Padded tokens per forward call")
                .tag("model", model).serviceLevelObjectives(TOKEN_BUCKETS)
                .register(registry).record(paddedTokens);
    }

    @Override
    public void inputTokens(String model, String endpoint, int tokens) {
        DistributionSummary.builder("slm.input.tokens").description("Input tokens per request")
                .tags("model", model, "endpoint", endpoint).serviceLevelObjectives(TOKEN_BUCKETS)
                .register(registry).record(tokens);
    }

    @Override
    public void request(String endpoint, String model, int status, long nanos) {
        Timer.builder("slm.request.duration").description("End-to-end request duration")
                .tags("endpoint", endpoint, "model", model == null ? "none" : model, "status", Integer.toString(status))
                .publishPercentileHistogram()
                .minimumExpectedValue(Duration.ofNanos(500_000)).maximumExpectedValue(Duration.ofSeconds(60))
                .register(registry).record(nanos, TimeUnit.NANOSECONDS);
    }

    @Override
    public void sequenceGauges(String model, IntSupplier running, IntSupplier waiting) {
        // Strong references: the suppliers are lambdas nobody else holds.
        io.micrometer.core.instrument.Gauge.builder("slm.running.sequences", running, r -> r.getAsInt())
                .description("Sequences holding a KV-cache slot").tag("model", model).strongReference(true)
                .register(registry);
        io.micrometer.core.instrument.Gauge.builder("slm.waiting.sequences", waiting, w -> w.getAsInt())
                .description("Sequences waiting for a slot").tag("model", model).strongReference(true)
                .register(registry);
    }

    @Override
    public void timeToFirstToken(String model, long nanos) {
        Timer.builder("slm.time.to.first.token").description("From submission to the first generated token")
                .tag("model", model).publishPercentileHistogram()
                .minimumExpectedValue(Duration.ofNanos(100_000)).maximumExpectedValue(Duration.ofSeconds(60))
                .register(registry).record(nanos, TimeUnit.NANOSECONDS);
    }

    @Override
    public void interTokenLatency(String model, long nanos) {
        Timer.builder("slm.inter.token.latency").description("Between consecutive tokens of one sequence")
                .tag("model", model).publishPercentileHistogram()
                .minimumExpectedValue(Duration.ofNanos(100_000)).maximumExpectedValue(Duration.ofSeconds(10))
                .register(registry).record(nanos, TimeUnit.NANOSECONDS);
    }

    @Override
    public void generatedTokens(String model, int tokens) {
        DistributionSummary.builder("slm.generated.tokens").description("Tokens generated per finished sequence")
                .tag("model", model).serviceLevelObjectives(TOKEN_BUCKETS)
                .register(registry).record(tokens);
    }

    @Override
    public void prefixCache(String model, int promptTokens, int hitTokens) {
        Counter prompt = Counter.builder("slm.prefix.cache.prompt.tokens")
                .description("Prompt tokens of sequences admitted with prefix caching on").tag("model", model)
                .register(registry);
        Counter hit = Counter.builder("slm.prefix.cache.hit.tokens")
                .description("Prompt tokens whose keys and values were found in an idle cache slot")
                .tag("model", model).register(registry);
        Gauge.builder("slm.prefix.cache.hit.rate", () -> prompt.count() == 0 ? 0 : hit.count() / prompt.count())
                .description("Share of prompt tokens served from the prefix cache since start").tag("model", model)
                .strongReference(true).register(registry);
        prompt.increment(promptTokens);
        hit.increment(hitTokens);
    }

    @Override
    public void decoderStep(String model, int rows, String phase) {
        DistributionSummary.builder("slm.decoder.step.rows").description("Sequences per decoder forward call")
                .tags("model", model, "phase", phase).serviceLevelObjectives(BATCH_BUCKETS)
                .register(registry).record(rows);
    }

    @Override
    public void constraintCompiled(String model, String kind, long nanos) {
        Timer.builder("slm.constraint.compile").description("Compiling an output constraint (cache misses)")
                .tags("model", model, "kind", kind).publishPercentileHistogram()
                .minimumExpectedValue(Duration.ofNanos(100_000)).maximumExpectedValue(Duration.ofSeconds(30))
                .register(registry).record(nanos, TimeUnit.NANOSECONDS);
    }

    @Override
    public void constraintCacheHit(String model, String kind) {
        registry.counter("slm.constraint.cache.hits", "model", model, "kind", kind).increment();
    }
}
