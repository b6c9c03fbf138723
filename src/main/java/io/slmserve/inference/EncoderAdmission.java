package io.slmserve.inference;

import io.slmserve.config.ServerConfig;
import io.slmserve.core.Deadline;
import io.slmserve.core.ErrorKind;
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
 * The shared front half of every encoder task: resolve the model, check counts and lengths, tokenize on the
 * caller's thread (so bad input fails before it takes a queue slot) and queue one job on the model's pool.
 */
@ApplicationScoped
public class EncoderAdmission {

    private final ModelResolver resolver;
    private final ModelPools pools;
    private final ServingMetrics metrics;
    private final ServerConfig.Limits limits;

    public EncoderAdmission(ModelResolver resolver, ModelPools pools, ServingMetrics metrics, ServerConfig config) {
        this.resolver = resolver;
        this.pools = pools;
        this.metrics = metrics;
        this.limits = config.limits();
    }

    LoadedModel resolve(String modelId, Set<ModelTask> tasks) {
        return resolver.resolve(modelId, tasks);
    }

    /** Tokenizes texts with the model's special tokens; empty or over-long inputs are 4xx. */
    List<long[]> tokenize(LoadedModel model, List<String> texts, boolean truncate, String field) {
        checkCount(texts.size(), field);
        List<long[]> rows = new ArrayList<>(texts.size());
        for (int i = 0; i < texts.size(); i++) {
            String text = texts.get(i);
            if (text == null || text.isEmpty()) {
                throw ServingException.invalid(field, field + "[" + i + "] is empty");
            }
            if (text.length() > limits.maxInputChars()) {
                throw ServingException.invalid(field, field + "[" + i + "] has " + text.length()
                        + " characters; the limit is " + limits.maxInputChars());
            }
            rows.add(model.tokenizer().encode(text, truncate).ids());
        }
        return rows;
    }

    /** Validates caller-supplied token ids against the vocabulary and the model's length limit. */
    List<long[]> checkIds(LoadedModel model, List<long[]> ids, boolean truncate, String field) {
        checkCount(ids.size(), field);
        TextTokenizer tokenizer = model.tokenizer();
        List<long[]> rows = new ArrayList<>(ids.size());
        for (int i = 0; i < ids.size(); i++) {
            long[] row = ids.get(i);
            if (row.length == 0) {
                throw ServingException.invalid(field, field + "[" + i + "] has no tokens");
            }
            for (long id : row) {
                if (id < 0 || id >= tokenizer.vocabularySize()) {
                    throw ServingException.invalid(field, field + "[" + i + "] has token id " + id
                            + " outside the vocabulary [0, " + tokenizer.vocabularySize() + ")");
                }
            }
            if (row.length > tokenizer.maxTokens()) {
                if (!truncate) {
                    throw new ServingException(ErrorKind.INPUT_TOO_LONG, field + "[" + i + "] has " + row.length
                            + " tokens; the model's limit is " + tokenizer.maxTokens(), field);
                }
                row = Arrays.copyOf(row, tokenizer.maxTokens());
            }
            rows.add(row);
        }
        return rows;
    }

    /** Queues the job on the model's pool (429 when full) and counts its input tokens. */
    CompletionStage<EncoderResult> submit(LoadedModel model, EncoderJob job, String endpoint, Deadline deadline) {
        String id = model.spec().id();
        metrics.inputTokens(id, endpoint, job.tokens().stream().mapToInt(r -> r.length).sum());
        return pools.encoder(id)
                .orElseThrow(() -> ServingException.notReady(id, "no worker pool", limits.retryAfterSeconds()))
                .submit(job, deadline);
    }

    void checkCount(int count, String field) {
        if (count == 0) {
            throw ServingException.invalid(field, "'" + field + "' must not be empty");
        }
        if (count > limits.maxInputsPerRequest()) {
            throw ServingException.invalid(field, "at most " + limits.maxInputsPerRequest()
                    + " inputs per request, got " + count);
        }
    }
}
