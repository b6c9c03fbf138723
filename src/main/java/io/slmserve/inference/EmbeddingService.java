package io.slmserve.inference;

import io.slmserve.core.LoadedModel;
import io.slmserve.core.ModelTask;
import io.slmserve.core.ServingException;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletionStage;

/** Embeds texts or token ids, then shortens ({@code dimensions}) and normalises the pooled vectors. */
@ApplicationScoped
public class EmbeddingService {

    static final Set<ModelTask> TASKS = Set.of(ModelTask.TEXT_EMBEDDING);

    private final EncoderAdmission admission;

    public EmbeddingService(EncoderAdmission admission) {
        this.admission = admission;
    }

    public CompletionStage<EmbeddingResult> embed(EmbeddingQuery query) {
        LoadedModel model = admission.resolve(query.model(), TASKS);
        int hidden = model.encoder().hiddenSize();
        if (query.dimensions() != null && (query.dimensions() < 1 || query.dimensions() > hidden)) {
            throw ServingException.invalid("dimensions", "dimensions must be between 1 and " + hidden);
        }
        List<long[]> rows = query.texts() != null
                ? admission.tokenize(model, query.texts(), query.truncate(), "input")
                : admission.checkIds(model, query.tokenIds(), query.truncate(), "input");
        int tokens = rows.stream().mapToInt(r -> r.length).sum();
        return admission.submit(model, EncoderJob.of(rows), query.endpoint(), query.deadline())
                .thenApply(result -> new EmbeddingResult(model.spec().id(), shape(result.rows(), query), tokens));
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
