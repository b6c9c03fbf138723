package io.slmserve.api;

import com.fasterxml.jackson.databind.JsonNode;
import io.slmserve.api.dto.DocumentRerankResponse;
import io.slmserve.api.dto.Problem;
import io.slmserve.api.dto.RerankRequest;
import io.slmserve.api.dto.RerankResult;
import io.slmserve.core.ServingException;
import io.slmserve.inference.RerankService;
import io.vertx.ext.web.RoutingContext;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletionStage;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

/**
 * Reranking in two request shapes over one service: TEI's {@code /rerank} with {@code texts} (an array of
 * {index, score[, text]}; the header {@code X-Rerank-Scorer} says what scored), and the Cohere/Jina shape that
 * vLLM serves, {@code documents} and {@code top_n}, on {@code /rerank} when the body carries {@code documents}
 * (and always on {@code /v1/rerank}, {@link DocumentRerankResource}).
 */
@Path("/")
@Tag(name = "Native", description = "Hugging Face TEI/TGI-style endpoints")
@Produces(MediaType.APPLICATION_JSON)
@Consumes(MediaType.APPLICATION_JSON)
@APIResponse(responseCode = "400", description = "Malformed or invalid request (no texts, more than the per-request "
        + "input limit, unknown truncation_direction)",
        content = @Content(mediaType = ErrorResponses.PROBLEM_JSON, schema = @Schema(implementation = Problem.class)))
@APIResponse(responseCode = "404", description = "Unknown model",
        content = @Content(mediaType = ErrorResponses.PROBLEM_JSON, schema = @Schema(implementation = Problem.class)))
@APIResponse(responseCode = "422", description = "A (query, text) pair is longer than max_input_tokens and truncate "
        + "is false", content = @Content(mediaType = ErrorResponses.PROBLEM_JSON,
        schema = @Schema(implementation = Problem.class)))
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
public class RerankResource {

    static final String SCORER_HEADER = "X-Rerank-Scorer";

    private final RerankService reranker;

    public RerankResource(RerankService reranker) {
        this.reranker = reranker;
    }

    @POST
    @Path("rerank")
    @Operation(operationId = "rerank", summary = "Rank texts by relevance to a query (TEI)",
            description = "A cross-encoder scores each (query, text) pair (sigmoid of the logit, or the logit with "
            + "raw_scores); an embedding model scores the cosine similarity of the embeddings. With documents "
            + "instead of texts the answer has the /v1/rerank shape.")
    @APIResponse(responseCode = "200", description = "Texts by descending score",
            content = @Content(schema = @Schema(implementation = RerankResult[].class)))
    public CompletionStage<Object> rerank(RerankRequest request, RoutingContext rc) {
        InputParser.requireBody(request);
        if (request.documents() != null) {
            return documents(reranker, request, rc, "/rerank").thenApply(r -> r);
        }
        return reranker.rerank(query(request, request.texts(), "texts", "/rerank", rc)).thenApply(ranking -> {
            RequestTelemetry.model(rc, ranking.model());
            rc.response().putHeader(SCORER_HEADER, ranking.scorer());
            return ranking.results().stream().map(r -> new RerankResult(r.index(), r.score(), r.text())).toList();
        });
    }

    /** The Cohere/Jina/vLLM answer, shared with {@link DocumentRerankResource}. */
    static CompletionStage<DocumentRerankResponse> documents(RerankService reranker, RerankRequest request,
            RoutingContext rc, String endpoint) {
        List<String> docs = documentTexts(request.documents() != null ? request.documents() : null, request.texts());
        boolean echo = !Boolean.FALSE.equals(request.returnDocuments()) && !Boolean.FALSE.equals(request.returnText());
        RerankService.Query q = query(request, docs, "documents", endpoint, rc);
        return reranker.rerank(new RerankService.Query(q.model(), q.query(), q.texts(), echo, q.truncate(),
                q.truncateLeft(), q.rawScores(), q.topN(), q.field(), q.endpoint(), q.deadline())).thenApply(ranking -> {
            RequestTelemetry.model(rc, ranking.model());
            List<DocumentRerankResponse.Result> results = ranking.results().stream()
                    .map(r -> new DocumentRerankResponse.Result(r.index(), r.score(),
                            r.text() == null ? null : new DocumentRerankResponse.Document(r.text())))
                    .toList();
            return new DocumentRerankResponse("rerank-" + UUID.randomUUID(), ranking.model(), ranking.scorer(),
                    new DocumentRerankResponse.Usage(ranking.tokens()), results);
        });
    }

    private static RerankService.Query query(RerankRequest request, List<String> texts, String field, String endpoint,
            RoutingContext rc) {
        String direction = request.truncationDirection();
        if (direction != null && !direction.equalsIgnoreCase("right") && !direction.equalsIgnoreCase("left")) {
            throw ServingException.invalid("truncation_direction", "truncation_direction must be 'right' or 'left'");
        }
        return new RerankService.Query(request.model(), request.query(), texts,
                Boolean.TRUE.equals(request.returnText()), Boolean.TRUE.equals(request.truncate()),
                "left".equalsIgnoreCase(direction), Boolean.TRUE.equals(request.rawScores()), request.topN(), field,
                endpoint, RequestDeadlines.of(rc));
    }

    /** Documents as strings or {"text": ...} objects (Cohere); texts is accepted too on /v1/rerank. */
    private static List<String> documentTexts(JsonNode documents, List<String> texts) {
        if (documents == null) {
            return texts;
        }
        if (!documents.isArray()) {
            throw ServingException.invalid("documents", "'documents' must be an array of strings or {\"text\": ...}");
        }
        List<String> out = new ArrayList<>(documents.size());
        for (int i = 0; i < documents.size(); i++) {
            JsonNode d = documents.get(i);
            JsonNode text = d.isObject() ? d.get("text") : d;
            if (text == null || !text.isTextual()) {
                throw ServingException.invalid("documents", "documents[" + i + "] must be a string or {\"text\": ...}");
            }
            out.add(text.textValue());
        }
        return out;
    }
}
