package io.slmserve.inference;

import io.slmserve.core.Deadline;
import io.slmserve.core.ErrorKind;
import io.slmserve.core.LoadedModel;
import io.slmserve.core.ModelTask;
import io.slmserve.core.ServingException;
import io.slmserve.core.TokenizedPair;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletionStage;

/**
 * Reranks passages against a query. With a cross-encoder (task {@code rerank}, or a sequence classifier with
 * one label, as TEI decides) each (query, passage) pair is tokenized with token types and scored by the
 * model's logit, or its sigmoid; with an embedding model each passage scores the cosine similarity of its
 * embedding with the query's. Either way the rows of one request go into one batched job.
 */
@ApplicationScoped
public class RerankService {

    private static final Set<ModelTask> NAMED = Set.of(ModelTask.RERANK, ModelTask.TEXT_CLASSIFICATION,
            ModelTask.TEXT_EMBEDDING);

    private final EncoderAdmission admission;

    public RerankService(EncoderAdmission admission) {
        this.admission = admission;
    }

    /** One ranked text: its index in the request and its score. */
    public record Ranked(int index, double score, String text) {
    }

    /**
     * @param scorer {@code cross-encoder} or {@code cosine}
     */
    public record Ranking(String model, String scorer, List<Ranked> results, int tokens) {
    }

    /**
     * A validated rerank request.
     *
     * @param truncateLeft cut over-long passages from their start (TEI truncation_direction=left)
     * @param rawScores    cross-encoders: the logit instead of its sigmoid
     * @param topN         keep the best N, or null for all
     * @param field        the request's name for the passages ({@code texts} or {@code documents})
     */
    public record Query(String model, String query, List<String> texts, boolean returnText, boolean truncate,
                        boolean truncateLeft, boolean rawScores, Integer topN, String field, String endpoint,
                        Deadline deadline) {
    }

    public CompletionStage<Ranking> rerank(Query q) {
        if (q.query() == null || q.query().isEmpty()) {
            throw ServingException.invalid("query", "'query' must be a non-empty string");
        }
        List<String> texts = q.texts();
        if (texts == null || texts.isEmpty()) {
            throw ServingException.invalid(q.field(), "'" + q.field() + "' must be a non-empty array of strings");
        }
        for (int i = 0; i < texts.size(); i++) {
            if (texts.get(i) == null || texts.get(i).isEmpty()) {
                throw ServingException.invalid(q.field(), q.field() + "[" + i + "] is empty");
            }
        }
        if (q.topN() != null && q.topN() < 1) {
            throw ServingException.invalid("top_n", "top_n must be >= 1");
        }
        LoadedModel model = resolve(q.model());
        if (model.spec().task() == ModelTask.TEXT_EMBEDDING) {
            return cosine(model, q);
        }
        admission.checkCount(texts.size(), q.field());
        List<long[]> rows = new ArrayList<>(texts.size());
        List<long[]> types = new ArrayList<>(texts.size());
        for (String text : texts) {
            TokenizedPair pair;
            try {
                pair = model.tokenizer().encodePair(q.query(), text, q.truncate(), q.truncateLeft());
            } catch (ServingException e) {
                throw "texts".equals(e.param()) && !"texts".equals(q.field())
                        ? new ServingException(ErrorKind.INPUT_TOO_LONG, e.getMessage().replace("text)", "document)"),
                                q.field())
                        : e;
            }
            rows.add(pair.ids());
            types.add(pair.typeIds());
        }
        int tokens = rows.stream().mapToInt(r -> r.length).sum();
        return admission.submit(model, EncoderJob.pairs(rows, types), q.endpoint(), q.deadline()).thenApply(result -> {
            List<Ranked> ranked = new ArrayList<>(texts.size());
            for (int i = 0; i < texts.size(); i++) {
                double logit = result.rows()[i][0];
                double score = q.rawScores() ? logit : 1.0 / (1.0 + Math.exp(-logit));
                ranked.add(new Ranked(i, score, q.returnText() ? texts.get(i) : null));
            }
            return new Ranking(model.spec().id(), "cross-encoder", best(ranked, q.topN()), tokens);
        });
    }

    private CompletionStage<Ranking> cosine(LoadedModel model, Query q) {
        List<String> all = new ArrayList<>(q.texts().size() + 1);
        all.add(q.query());
        all.addAll(q.texts());
        List<long[]> rows = admission.tokenize(model, all, q.truncate(), q.field());
        int tokens = rows.stream().mapToInt(r -> r.length).sum();
        return admission.submit(model, EncoderJob.of(rows), q.endpoint(), q.deadline()).thenApply(result -> {
            float[] query = result.rows()[0];
            List<Ranked> ranked = new ArrayList<>(q.texts().size());
            for (int i = 0; i < q.texts().size(); i++) {
                ranked.add(new Ranked(i, VectorMath.cosine(query, result.rows()[i + 1]),
                        q.returnText() ? q.texts().get(i) : null));
            }
            return new Ranking(model.spec().id(), "cosine", best(ranked, q.topN()), tokens);
        });
    }

    private static List<Ranked> best(List<Ranked> ranked, Integer topN) {
        ranked.sort(Comparator.comparingDouble(Ranked::score).reversed());
        return topN == null || topN >= ranked.size() ? ranked : List.copyOf(ranked.subList(0, topN));
    }

    /**
     * A named model must be a cross-encoder or an embedder; without a name the single cross-encoder answers, or
     * else the single embedding model (cosine).
     */
    private LoadedModel resolve(String modelId) {
        if (modelId == null || modelId.isBlank()) {
            try {
                return admission.resolve(null, Set.of(ModelTask.RERANK));
            } catch (ServingException e) {
                if (e.kind() != ErrorKind.MODEL_NOT_FOUND) {
                    throw e;
                }
                return admission.resolve(null, Set.of(ModelTask.TEXT_EMBEDDING));
            }
        }
        LoadedModel model = admission.resolve(modelId, NAMED);
        if (model.spec().task() == ModelTask.TEXT_CLASSIFICATION && model.encoder().labels().size() != 1) {
            throw ServingException.invalid("model", "model '" + modelId + "' is a classifier with "
                    + model.encoder().labels().size() + " labels; a reranker has exactly one");
        }
        return model;
    }
}
