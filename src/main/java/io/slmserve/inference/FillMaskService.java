package io.slmserve.inference;

import io.slmserve.core.Deadline;
import io.slmserve.core.LoadedModel;
import io.slmserve.core.ModelTask;
import io.slmserve.core.ServingException;
import io.slmserve.core.TextTokenizer;
import io.slmserve.core.TopTokens;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletionStage;

/**
 * Fill-mask, as Hugging Face's pipeline answers it: for each input with exactly one mask token, the top_k
 * candidates with their probability and the input decoded with the candidate in place.
 */
@ApplicationScoped
public class FillMaskService {

    private static final Set<ModelTask> TASKS = Set.of(ModelTask.FILL_MASK);
    static final int MAX_TOP_K = 100;

    private final EncoderAdmission admission;

    public FillMaskService(EncoderAdmission admission) {
        this.admission = admission;
    }

    /** One candidate for the mask. */
    public record Candidate(long token, String tokenStr, double score, String sequence) {
    }

    /** Candidates per input, best first. */
    public record Fills(String model, List<List<Candidate>> candidates) {
    }

    public CompletionStage<Fills> fill(String modelId, List<String> texts, int topK, boolean truncate, Deadline deadline) {
        if (topK < 1 || topK > MAX_TOP_K) {
            throw ServingException.invalid("top_k", "top_k must be between 1 and " + MAX_TOP_K);
        }
        LoadedModel model = admission.resolve(modelId, TASKS);
        TextTokenizer tokenizer = model.tokenizer();
        List<long[]> rows = admission.tokenize(model, texts, truncate, "inputs");
        int[] maskIndex = new int[rows.size()];
        for (int r = 0; r < rows.size(); r++) {
            maskIndex[r] = singleMask(rows.get(r), tokenizer, r);
        }
        return admission.submit(model, new EncoderJob(rows, maskIndex, topK), "/fill-mask", deadline).thenApply(result -> {
            List<List<Candidate>> out = new ArrayList<>(rows.size());
            for (int r = 0; r < rows.size(); r++) {
                out.add(candidates(rows.get(r), maskIndex[r], result.masks().get(r), tokenizer));
            }
            return new Fills(model.spec().id(), out);
        });
    }

    private static int singleMask(long[] row, TextTokenizer tokenizer, int input) {
        int at = -1;
        for (int i = 0; i < row.length; i++) {
            if (row[i] == tokenizer.maskTokenId()) {
                if (at >= 0) {
                    throw ServingException.invalid("inputs", "inputs[" + input + "] has more than one "
                            + tokenizer.maskToken() + "; exactly one mask per input is supported");
                }
                at = i;
            }
        }
        if (at < 0) {
            throw ServingException.invalid("inputs", "inputs[" + input + "] has no " + tokenizer.maskToken()
                    + " token to fill");
        }
        return at;
    }

    private static List<Candidate> candidates(long[] row, int mask, TopTokens best, TextTokenizer tokenizer) {
        List<Candidate> out = new ArrayList<>(best.ids().length);
        for (int i = 0; i < best.ids().length; i++) {
            long id = best.ids()[i];
            long[] filled = row.clone();
            filled[mask] = id;
            out.add(new Candidate(id, tokenizer.decode(new long[] {id}, false).trim(), best.probabilities()[i],
                    tokenizer.decode(filled, true)));
        }
        return out;
    }
}
