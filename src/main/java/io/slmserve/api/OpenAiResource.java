package io.slmserve.api;

import io.slmserve.api.dto.EmbeddingsRequest;
import io.slmserve.api.dto.EmbeddingsResponse;
import io.slmserve.api.dto.ModelList;
import io.slmserve.api.dto.OpenAiError;
import io.slmserve.core.ModelState;
import io.slmserve.core.ServingException;
import io.slmserve.inference.EmbeddingQuery;
import io.slmserve.inference.EmbeddingResult;
import io.slmserve.inference.EmbeddingService;
import io.slmserve.inference.ModelCatalog;
import io.vertx.ext.web.RoutingContext;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.CompletionStage;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

/** The OpenAI-compatible API: model list and embeddings. Errors use the OpenAI error shape. */
@Path("/v1")
@Tag(name = "OpenAI", description = "OpenAI-compatible endpoints")
@Produces(MediaType.APPLICATION_JSON)
@APIResponse(responseCode = "401",
        description = "slm.auth.api-keys is set and the request has no valid Authorization: Bearer key",
        content = @Content(schema = @Schema(implementation = OpenAiError.class)))
public class OpenAiResource {

    private static final long STARTED = System.currentTimeMillis() / 1000;

    private final EmbeddingService embeddings;
    private final ModelCatalog catalog;

    public OpenAiResource(EmbeddingService embeddings, ModelCatalog catalog) {
        this.embeddings = embeddings;
        this.catalog = catalog;
    }

    @GET
    @Path("/models")
    @Operation(operationId = "listModels",
            summary = "List the models that are ready to serve")
    @APIResponse(responseCode = "200", description = "The READY models",
            content = @Content(schema = @Schema(implementation = ModelList.class)))
    public ModelList models() {
        List<ModelList.Entry> data = new ArrayList<>();
        catalog.list().stream().filter(m -> m.state() == ModelState.READY).forEach(m -> {
            data.add(new ModelList.Entry(m.id(), "model", STARTED, "slm-serve"));
            m.adapters().stream().filter(a -> a.reason() == null).forEach(a ->
                    data.add(new ModelList.Entry(a.name(), "model", STARTED, "slm-serve", m.id())));
        });
        return new ModelList("list", data);
    }

    @POST
    @Path("/embeddings")
    @Consumes(MediaType.APPLICATION_JSON)
    @Operation(operationId = "createEmbedding",
            summary = "Create embeddings", description = "Sentence embeddings pooled as the model folder declares (1_Pooling/config.json or option.pooling), L2-normalised when it declares a Normalize module. "
            + "Requests from many callers are batched dynamically into one forward pass.")
    @APIResponse(responseCode = "200", description = "One embedding per input, in input order")
    @APIResponse(responseCode = "400", description = "Malformed or invalid request",
            content = @Content(schema = @Schema(implementation = OpenAiError.class)))
    @APIResponse(responseCode = "404", description = "Unknown model",
            content = @Content(schema = @Schema(implementation = OpenAiError.class)))
    @APIResponse(responseCode = "413", description = "Body over the payload limit")
    @APIResponse(responseCode = "422", description = "An input is longer than the model's max_input_tokens",
            content = @Content(schema = @Schema(implementation = OpenAiError.class)))
    @APIResponse(responseCode = "429", description = "The model's queue is full; see Retry-After",
            content = @Content(schema = @Schema(implementation = OpenAiError.class)))
    @APIResponse(responseCode = "503", description = "The model is loading or failed; see Retry-After",
            content = @Content(schema = @Schema(implementation = OpenAiError.class)))
    @APIResponse(responseCode = "504", description = "The request's deadline (X-Request-Timeout or the server's "
            + "default) passed while it was queued or running",
            content = @Content(schema = @Schema(implementation = OpenAiError.class)))
    public CompletionStage<EmbeddingsResponse> embeddings(EmbeddingsRequest request, RoutingContext rc) {
        InputParser.requireBody(request);
        boolean base64 = encoding(request.encodingFormat());
        InputParser.Inputs inputs = InputParser.parse(request.input(), "input");
        EmbeddingQuery query = new EmbeddingQuery(request.model(), inputs.texts(), inputs.tokenIds(), false, null,
                request.dimensions(), "/v1/embeddings", RequestDeadlines.of(rc));
        return embeddings.embed(query).thenApply(result -> {
            RequestTelemetry.model(rc, result.model());
            return toResponse(result, base64);
        });
    }

    private static boolean encoding(String format) {
        if (format == null || format.equals("float")) {
            return false;
        }
        if (format.equals("base64")) {
            return true;
        }
        throw ServingException.invalid("encoding_format", "encoding_format must be 'float' or 'base64'");
    }

    private static EmbeddingsResponse toResponse(EmbeddingResult result, boolean base64) {
        List<EmbeddingsResponse.Item> items = new ArrayList<>(result.vectors().size());
        for (int i = 0; i < result.vectors().size(); i++) {
            float[] v = result.vectors().get(i);
            items.add(new EmbeddingsResponse.Item("embedding", i, base64 ? toBase64(v) : v));
        }
        return new EmbeddingsResponse("list", items, result.model(),
                new EmbeddingsResponse.Usage(result.promptTokens(), result.promptTokens()));
    }

    /** Little-endian float32, which the official openai clients decode. */
    static String toBase64(float[] v) {
        ByteBuffer buffer = ByteBuffer.allocate(v.length * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        buffer.asFloatBuffer().put(v);
        return Base64.getEncoder().encodeToString(buffer.array());
    }
}
