package io.slmserve.inference;

import io.slmserve.config.ServerConfig;
import io.slmserve.core.LoadedModel;
import io.slmserve.core.ModelTask;
import io.slmserve.core.ServingException;
import io.slmserve.core.ServingMetrics;
import io.slmserve.core.TextTokenizer;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletionStage;

/**
 * Embeds texts: validates and tokenizes on the caller's thread (so a bad input fails before it queues),
 * queues one job per request on the model's pool, then normalises and shortens the pooled vectors.
 */
@ApplicationScoped
public class EmbeddingService {

    private static final Set<ModelTask> TASKS = Set.of(ModelTask.TEXT_EMBEDDING);

    private final ModelResolver resolver;
    private final ModelPools pools;
    private final ServingMetrics metrics;
    private final ServerConfig.Limits limits;

    public EmbeddingService(ModelResolver resolver, ModelPools pools, ServingMetrics metrics, ServerConfig config) {
        this.resolver = resolver;
        this.pools = pools;
        this.metrics = metrics;
        this.limits = config.limits();
    }

    /** Resolves the model a query would use, for error reporting and metrics tags before work starts. */
    public String modelFor(String requested) {
        return resolver.resolve(requested, TASKS).spec().id();
    }

    public CompletionStage<EmbeddingResult> embed(EmbeddingQuery query) {
        LoadedModel model = resolver.resolve(query.model(), TASKS);
        int hidden = model.encoder().hiddenSize();
        if (query.dimensions() != null && (query.dimensions() < 1 || query.dimensions() > hidden)) {
            throw ServingException.invalid("dimensions", "dimensions must be between 1 and " + hidden);
        }
        List<long[]> rows = query.texts() != null
                ? tokenize(model.tokenizer(), query.texts(), query.truncate())
                : checkIds(model.tokenizer(), query.tokenIds(), query.truncate());
        int tokens = rows.stream().mapToInt(r -> r.length).sum();
        String id = model.spec().id();
        metrics.inputTokens(id, query.endpoint(), tokens);
        return pools.encoder(id)
                .orElseThrow(() -> ServingException.notReady(id, "no worker pool", limits.retryAfterSeconds()))
                .submit(new EncoderJob(rows))
                .thenApply(vectors -> new EmbeddingResult(id, shape(vectors, query), tokens));
    }

    private List<long[]> tokenize(TextTokenizer tokenizer, List<String> texts, boolean truncate) {
        checkCount(texts.size());
        List<long[]> rows = new ArrayList<>(texts.size());
        for (int i = 0; i < texts.size(); i++) {
            String text = texts.get(i);
            if (text.isEmpty()) {
                throw ServingException.invalid("input", "input[" + i + "] is empty");
            }
            if (text.length() > limits.maxInputChars()) {
                throw ServingException.invalid("input", "input[" + i + "] has " + text.length()
                        + " characters; the limit is " + limits.maxInputChars());
            }
            rows.add(tokenizer.encode(text, truncate).ids());
        }
        return rows;
    }

    private List<long[]> checkIds(TextTokenizer tokenizer, List<long[]> ids, boolean truncate) {
        checkCount(ids.size());
        List<long[]> rows = new ArrayList<>(ids.size());
        for (int i = 0; i < ids.size(); i++) {
            long[] row = ids.get(i);
            if (row.length == 0) {
                throw ServingException.invalid("input", "input[" + i + "] has no tokens");
            }
            for (long id : row) {
                if (id < 0 || id >= tokenizer.vocabularySize()) {
                    throw ServingException.invalid("input", "input[" + i + "] has token id " + id
                            + " outside the vocabulary [0, " + tokenizer.vocabularySize() + ")");
                }
            }
            if (row.length > tokenizer.maxTokens()) {
                if (!truncate) {
                    throw new ServingException(io.slmserve.core.ErrorKind.INPUT_TOO_LONG, "input[" + i + "] has "
                            + row.length + " tokens; the model's limit is " + tokenizer.maxTokens(), "input");
                }
                row = Arrays.copyOf(row, tokenizer.maxTokens());
            }
            rows.add(row);
        }
        return rows;
    }

    private void checkCount(int count) {
        if (count == 0) {
            throw ServingException.invalid("input", "input must not be empty");
        }
        if (count > limits.maxInputsPerRequest()) {
            throw ServingException.invalid("input", "at most " + limits.maxInputsPerRequest()
                    + " inputs per request, got " + count);
        }
    }

    private static List<float[]> shape(float[][] pooled, EmbeddingQuery query) {
        List<float[]> out = new ArrayList<>(pooled.length);
        for (float[] vector : pooled) {
            float[] v = query.dimensions() == null ? vector : Arrays.copyOf(vector, query.dimensions());
            if (query.normalize()) {
                VectorMath.normalizeInPlace(v);
            }
            out.add(v);
        }
        return out;
    }
}
