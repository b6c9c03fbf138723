package io.slmserve.inference;

import io.slmserve.core.Deadline;
import io.slmserve.core.LoadedModel;
import io.slmserve.core.ModelTask;
import io.slmserve.core.ServingException;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletionStage;

/**
 * Reranks passages against a query with an embedding model: the query and all texts go into one batched job,
 * and each text scores the cosine similarity of its embedding with the query's.
 */
@ApplicationScoped
public class RerankService {

    private static final Set<ModelTask> TASKS = Set.of(ModelTask.TEXT_EMBEDDING);

    private final EncoderAdmission admission;

    public RerankService(EncoderAdmission admission) {
        this.admission = admission;
    }

    /** One ranked text: its index in the request and its score. */
    public record Ranked(int index, double score, String text) {
    }

    public CompletionStage<List<Ranked>> rerank(String modelId, String query, List<String> texts, boolean returnText,
            boolean truncate, Deadline deadline) {
        if (query == null || query.isEmpty()) {
            throw ServingException.invalid("query", "'query' must be a non-empty string");
        }
        if (texts == null || texts.isEmpty()) {
            throw ServingException.invalid("texts", "'texts' must be a non-empty array of strings");
        }
        for (int i = 0; i < texts.size(); i++) {
            if (texts.get(i) == null || texts.get(i).isEmpty()) {
                throw ServingException.invalid("texts", "texts[" + i + "] is empty");
            }
        }
        LoadedModel model = admission.resolve(modelId, TASKS);
        List<String> all = new ArrayList<>(texts.size() + 1);
        all.add(query);
        all.addAll(texts);
        List<long[]> rows = admission.tokenize(model, all, truncate, "texts");
        return admission.submit(model, EncoderJob.of(rows), "/rerank", deadline).thenApply(result -> {
            float[] q = result.rows()[0];
            List<Ranked> ranked = new ArrayList<>(texts.size());
            for (int i = 0; i < texts.size(); i++) {
                ranked.add(new Ranked(i, VectorMath.cosine(q, result.rows()[i + 1]), returnText ? texts.get(i) : null));
            }
            ranked.sort(Comparator.comparingDouble(Ranked::score).reversed());
            return ranked;
        });
    }
}
