package io.slmserve.api;

import io.slmserve.api.dto.DocumentRerankResponse;
import io.slmserve.api.dto.OpenAiError;
import io.slmserve.api.dto.RerankRequest;
import io.slmserve.inference.RerankService;
import io.vertx.ext.web.RoutingContext;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import java.util.concurrent.CompletionStage;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

/**
 * {@code POST /v1/rerank}, the Cohere/Jina shape vLLM serves, on the same service as TEI's /rerank. Its own
 * class: JAX-RS routes /v1/... to the resource with the longest matching class path, so a method under "/"
 * would never see it. Errors use the OpenAI shape, as everything under /v1.
 */
@Path("/v1/rerank")
@Tag(name = "OpenAI", description = "OpenAI-compatible endpoints")
@Produces(MediaType.APPLICATION_JSON)
@Consumes(MediaType.APPLICATION_JSON)
public class DocumentRerankResource {

    private final RerankService reranker;

    public DocumentRerankResource(RerankService reranker) {
        this.reranker = reranker;
    }

    @POST
    @Operation(operationId = "rerankDocuments", summary = "Rank documents by relevance to a query (Cohere/Jina/vLLM)",
            description = "Same scoring as /rerank (cross-encoder, or cosine on an embedding model); results best "
            + "first with relevance_score, cut to top_n.")
    @APIResponse(responseCode = "200", description = "Documents by descending relevance",
            content = @Content(schema = @Schema(implementation = DocumentRerankResponse.class)))
    @APIResponse(responseCode = "400", description = "Malformed or invalid request (no documents, more than the "
            + "per-request input limit, top_n < 1)", content = @Content(schema = @Schema(implementation = OpenAiError.class)))
    @APIResponse(responseCode = "404", description = "Unknown model",
            content = @Content(schema = @Schema(implementation = OpenAiError.class)))
    @APIResponse(responseCode = "422", description = "A (query, document) pair is longer than max_input_tokens and "
            + "truncate is false", content = @Content(schema = @Schema(implementation = OpenAiError.class)))
    @APIResponse(responseCode = "429", description = "The model's queue is full; see Retry-After",
            content = @Content(schema = @Schema(implementation = OpenAiError.class)))
    @APIResponse(responseCode = "503", description = "The model is loading or failed; see Retry-After",
            content = @Content(schema = @Schema(implementation = OpenAiError.class)))
    public CompletionStage<DocumentRerankResponse> rerank(RerankRequest request, RoutingContext rc) {
        InputParser.requireBody(request);
        return RerankResource.documents(reranker, request, rc, "/v1/rerank");
    }
}
