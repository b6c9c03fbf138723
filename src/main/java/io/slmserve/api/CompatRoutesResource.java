package io.slmserve.api;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.slmserve.api.dto.EmbedRequest;
import io.slmserve.api.dto.FillMaskRequest;
import io.slmserve.api.dto.GenerateRequest;
import io.slmserve.api.dto.PredictRequest;
import io.slmserve.api.dto.Problem;
import io.slmserve.api.dto.RerankRequest;
import io.slmserve.inference.ModelResolver;
import io.smallrye.common.annotation.Blocking;
import io.vertx.ext.web.RoutingContext;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.core.MediaType;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

/**
 * TGI's and TEI's compatibility routes, {@code POST /} and {@code POST /invocations} (the path SageMaker calls):
 * clients pointed at an endpoint URL (Hugging Face's InferenceClient with endpointUrl) post there. The body
 * picks the native route ({@link RootRoute}), which answers exactly as if called directly. {@code GET /} stays
 * the playground.
 */
@Path("/")
@Tag(name = "Native", description = "Hugging Face TEI/TGI-style endpoints")
@Consumes(MediaType.APPLICATION_JSON)
@APIResponse(responseCode = "400", description = "Malformed body, or one that fits several models (named)",
        content = @Content(mediaType = ErrorResponses.PROBLEM_JSON, schema = @Schema(implementation = Problem.class)))
@APIResponse(responseCode = "404", description = "Unknown model, or none serves a task the body fits",
        content = @Content(mediaType = ErrorResponses.PROBLEM_JSON, schema = @Schema(implementation = Problem.class)))
public class CompatRoutesResource {

    private static final String DESCRIPTION = "Dispatches on the body: 'query' and 'texts' rerank; 'inputs' with "
            + "'parameters' or 'stream' generate (/generate, or /generate_stream when stream is true); otherwise the "
            + "one model whose task takes the body's fields answers (/embed, /predict, /fill-mask or /generate), "
            + "the model named in 'model' or the only candidate; several candidates are a 400 naming them. A "
            + "'model' that is an http(s) URL names no model.";

    private final NativeGenerationResource generation;
    private final NativeEncoderResource encoder;
    private final EncoderTasksResource tasks;
    private final RerankResource rerank;
    private final ModelResolver resolver;
    private final ObjectMapper json;

    public CompatRoutesResource(NativeGenerationResource generation, NativeEncoderResource encoder,
                                EncoderTasksResource tasks, RerankResource rerank, ModelResolver resolver,
                                ObjectMapper json) {
        this.generation = generation;
        this.encoder = encoder;
        this.tasks = tasks;
        this.rerank = rerank;
        this.resolver = resolver;
        this.json = json;
    }

    @POST
    @Blocking
    @Operation(operationId = "root", summary = "TGI/TEI compatibility route", description = DESCRIPTION)
    @APIResponse(responseCode = "200", description = "The chosen route's answer")
    public CompletionStage<Object> root(JsonNode body, RoutingContext rc) throws JsonProcessingException {
        return dispatch(body, rc);
    }

    @POST
    @Path("invocations")
    @Blocking
    @Operation(operationId = "invocations", summary = "SageMaker-style compatibility route (as POST /)",
            description = DESCRIPTION)
    @APIResponse(responseCode = "200", description = "The chosen route's answer")
    public CompletionStage<Object> invocations(JsonNode body, RoutingContext rc) throws JsonProcessingException {
        return dispatch(body, rc);
    }

    @SuppressWarnings("unchecked")
    private CompletionStage<Object> dispatch(JsonNode body, RoutingContext rc) throws JsonProcessingException {
        RootRoute.Choice choice = RootRoute.choose(body, resolver);
        ObjectNode forwarded = ((ObjectNode) body).deepCopy();
        if (choice.model() != null) {
            forwarded.put("model", choice.model());
        }
        return switch (choice.target()) {
            case GENERATE -> (CompletionStage<Object>) (CompletionStage<?>) generation.generate(
                    json.treeToValue(forwarded, GenerateRequest.class), rc);
            case GENERATE_STREAM -> CompletableFuture.completedFuture(generation.generateStream(
                    json.treeToValue(forwarded, GenerateRequest.class), rc));
            case EMBED -> (CompletionStage<Object>) (CompletionStage<?>) encoder.embed(
                    json.treeToValue(forwarded, EmbedRequest.class), rc);
            case PREDICT -> tasks.predict(json.treeToValue(forwarded, PredictRequest.class), rc);
            case FILL_MASK -> tasks.fillMask(json.treeToValue(forwarded, FillMaskRequest.class), rc);
            case RERANK -> rerank.rerank(json.treeToValue(forwarded, RerankRequest.class), rc);
        };
    }
}
