package io.slmserve.api;

import com.fasterxml.jackson.databind.JsonNode;
import io.slmserve.api.dto.FillMaskCandidate;
import io.slmserve.api.dto.FillMaskRequest;
import io.slmserve.api.dto.LabelScore;
import io.slmserve.api.dto.PredictRequest;
import io.slmserve.api.dto.Problem;
import io.slmserve.inference.ClassificationService;
import io.slmserve.inference.FillMaskService;
import io.vertx.ext.web.RoutingContext;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import java.util.List;
import java.util.concurrent.CompletionStage;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

/**
 * Encoder tasks beyond embeddings, with TEI and Hugging Face pipeline names: /predict (classification),
 * /fill-mask (/rerank is {@link RerankResource}). All are dynamically batched through the model's predictor
 * pool. A single string input answers one list; an array answers one list per input.
 */
@Path("/")
@Tag(name = "Native", description = "Hugging Face TEI/TGI-style endpoints")
@Produces(MediaType.APPLICATION_JSON)
@Consumes(MediaType.APPLICATION_JSON)
@APIResponse(responseCode = "400", description = "Malformed or invalid request",
        content = @Content(mediaType = ErrorResponses.PROBLEM_JSON, schema = @Schema(implementation = Problem.class)))
@APIResponse(responseCode = "404", description = "Unknown model",
        content = @Content(mediaType = ErrorResponses.PROBLEM_JSON, schema = @Schema(implementation = Problem.class)))
@APIResponse(responseCode = "422", description = "An input is longer than max_input_tokens and truncate is false",
        content = @Content(mediaType = ErrorResponses.PROBLEM_JSON, schema = @Schema(implementation = Problem.class)))
@APIResponse(responseCode = "429", description = "The model's queue is full; see Retry-After",
        content = @Content(mediaType = ErrorResponses.PROBLEM_JSON, schema = @Schema(implementation = Problem.class)))
@APIResponse(responseCode = "503", description = "The model is loading or failed; see Retry-After",
        content = @Content(mediaType = ErrorResponses.PROBLEM_JSON, schema = @Schema(implementation = Problem.class)))
@APIResponse(responseCode = "401",
        description = "slm.auth.api-keys is set and the request has no valid Authorization: Bearer key",
        content = @Content(mediaType = ErrorResponses.PROBLEM_JSON, schema = @Schema(implementation = Problem.class)))
@APIResponse(responseCode = "504", description = "The request's deadline (X-Request-Timeout or the server's "
        + "default) passed while it was queued or running",
        content = @Content(mediaType = ErrorResponses.PROBLEM_JSON, schema = @Schema(implementation = Problem.class)))
public class EncoderTasksResource {

    private final ClassificationService classifier;
    private final FillMaskService fillMask;

    public EncoderTasksResource(ClassificationService classifier, FillMaskService fillMask) {
        this.classifier = classifier;
        this.fillMask = fillMask;
    }

    @POST
    @Path("predict")
    @Operation(operationId = "predict",
            summary = "Classify texts (TEI)", description = "Labels with probabilities (or logits with "
            + "raw_scores), best first.")
    @APIResponse(responseCode = "200", description = "Label scores, best first",
            content = @Content(schema = @Schema(implementation = LabelScore[].class)))
    public CompletionStage<Object> predict(PredictRequest request, RoutingContext rc) {
        InputParser.requireBody(request);
        List<String> texts = InputParser.texts(request.inputs(), "inputs");
        return classifier.predict(request.model(), texts, Boolean.TRUE.equals(request.rawScores()), request.topK(),
                Boolean.TRUE.equals(request.truncate()), RequestDeadlines.of(rc)).thenApply(result -> {
                    RequestTelemetry.model(rc, result.model());
                    List<List<LabelScore>> out = result.scores().stream()
                            .map(row -> row.stream().map(s -> new LabelScore(s.score(), s.label())).toList())
                            .toList();
                    return single(request.inputs()) ? out.get(0) : out;
                });
    }

    @POST
    @Path("fill-mask")
    @Operation(operationId = "fillMask",
            summary = "Fill the mask token", description = "Exactly one mask token per input; answers as "
            + "Hugging Face's fill-mask pipeline.")
    @APIResponse(responseCode = "200", description = "Candidates, best first",
            content = @Content(schema = @Schema(implementation = FillMaskCandidate[].class)))
    public CompletionStage<Object> fillMask(FillMaskRequest request, RoutingContext rc) {
        InputParser.requireBody(request);
        List<String> texts = InputParser.texts(request.inputs(), "inputs");
        int topK = request.topK() == null ? 5 : request.topK();
        return fillMask.fill(request.model(), texts, topK, Boolean.TRUE.equals(request.truncate()),
                RequestDeadlines.of(rc)).thenApply(fills -> {
            RequestTelemetry.model(rc, fills.model());
            List<List<FillMaskCandidate>> out = fills.candidates().stream()
                    .map(row -> row.stream()
                            .map(c -> new FillMaskCandidate(c.score(), c.token(), c.tokenStr(), c.sequence())).toList())
                    .toList();
            return single(request.inputs()) ? out.get(0) : out;
        });
    }

    private static boolean single(JsonNode inputs) {
        return inputs.isTextual();
    }
}
