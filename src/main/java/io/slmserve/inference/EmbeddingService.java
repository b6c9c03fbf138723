package io.slmserve.inference;

import io.slmserve.core.EmbeddingSetup;
import io.slmserve.core.LoadedModel;
import io.slmserve.core.ModelTask;
import io.slmserve.core.ServingException;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletionStage;

/**
 * Embeds texts or token ids with the folder's pooling, prompts and normalisation, then shortens
 * ({@code dimensions}) and normalises the pooled vectors; or returns every token's state ({@code /embed_all}).
 */
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
        EmbeddingSetup setup = model.encoder().embedding();
        boolean normalize = query.normalize() != null ? query.normalize() : setup == null || setup.normalize();
        List<long[]> rows = rows(model, query);
        int tokens = rows.stream().mapToInt(r -> r.length).sum();
        return admission.submit(model, EncoderJob.of(rows), query.endpoint(), query.deadline())
                .thenApply(result -> new EmbeddingResult(model.spec().id(),
                        shape(result.rows(), query.dimensions(), normalize), tokens));
    }

    /** Token states of every input ({@code /embed_all}): one {@code [tokens][hidden]} matrix per input. */
    public CompletionStage<List<float[][]>> embedAll(EmbeddingQuery query) {
        LoadedModel model = admission.resolve(query.model(), TASKS);
        List<long[]> rows = rows(model, query);
        return admission.submit(model, EncoderJob.perToken(rows), query.endpoint(), query.deadline())
                .thenApply(EncoderResult::tokens);
    }

    private List<long[]> rows(LoadedModel model, EmbeddingQuery query) {
        if (query.texts() == null) {
            if (query.promptName() != null) {
                throw ServingException.invalid("prompt_name", "prompt_name applies to text inputs, not token ids");
            }
            return admission.checkIds(model, query.tokenIds(), query.truncate(), "input");
        }
        String prompt = prompt(model.encoder().embedding(), query.promptName());
        List<String> texts = query.texts();
        if (!prompt.isEmpty()) {
            texts = texts.stream().map(t -> t == null || t.isEmpty() ? t : prompt + t).toList();
        }
        return admission.tokenize(model, texts, query.truncate(), "input");
    }

    /** The text a named (or the default) sentence-transformers prompt prepends; unknown names are a 400. */
    static String prompt(EmbeddingSetup setup, String name) {
        java.util.Map<String, String> prompts = setup == null ? java.util.Map.of() : setup.prompts();
        if (name == null) {
            return setup == null || setup.defaultPromptName() == null ? "" : prompts.get(setup.defaultPromptName());
        }
        String prompt = prompts.get(name);
        if (prompt == null) {
            throw ServingException.invalid("prompt_name", "prompt_name '" + name + "' is not declared by the model; "
                    + "its prompts are " + prompts.keySet().stream().sorted().toList());
        }
        return prompt;
    }

    private static List<float[]> shape(float[][] pooled, Integer dimensions, boolean normalize) {
        List<float[]> out = new ArrayList<>(pooled.length);
        for (float[] vector : pooled) {
            float[] v = dimensions == null ? vector : Arrays.copyOf(vector, dimensions);
            if (normalize) {
                VectorMath.normalizeInPlace(v);
            }
            out.add(v);
        }
        return out;
    }
}
