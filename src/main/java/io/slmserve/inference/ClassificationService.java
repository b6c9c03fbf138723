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

/** Sequence classification: logits from the engine, softmax (unless raw scores) and label names here. */
@ApplicationScoped
public class ClassificationService {

    private static final Set<ModelTask> TASKS = Set.of(ModelTask.TEXT_CLASSIFICATION);

    private final EncoderAdmission admission;

    public ClassificationService(EncoderAdmission admission) {
        this.admission = admission;
    }

    /** One score per label and input, best first. */
    public record LabelScore(String label, double score) {
    }

    /** Scores per input, each list best first and cut to topK (all labels when null). */
    public record Prediction(String model, List<List<LabelScore>> scores) {
    }

    public CompletionStage<Prediction> predict(String modelId, List<String> texts, boolean rawScores, Integer topK,
            boolean truncate, Deadline deadline) {
        LoadedModel model = admission.resolve(modelId, TASKS);
        List<String> labels = model.encoder().labels();
        if (topK != null && (topK < 1 || topK > labels.size())) {
            throw ServingException.invalid("top_k", "top_k must be between 1 and " + labels.size());
        }
        List<long[]> rows = admission.tokenize(model, texts, truncate, "inputs");
        int keep = topK == null ? labels.size() : topK;
        return admission.submit(model, EncoderJob.of(rows), "/predict", deadline).thenApply(result -> {
            List<List<LabelScore>> out = new ArrayList<>(rows.size());
            for (float[] logits : result.rows()) {
                double[] scores = rawScores ? toDouble(logits) : VectorMath.softmax(logits);
                List<LabelScore> ranked = new ArrayList<>(labels.size());
                for (int i = 0; i < labels.size(); i++) {
                    ranked.add(new LabelScore(labels.get(i), scores[i]));
                }
                ranked.sort(Comparator.comparingDouble(LabelScore::score).reversed());
                out.add(ranked.subList(0, keep));
            }
            return new Prediction(model.spec().id(), out);
        });
    }

    private static double[] toDouble(float[] values) {
        double[] out = new double[values.length];
        for (int i = 0; i < values.length; i++) {
            out[i] = values[i];
        }
        return out;
    }
}
