package io.slmserve.api;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.slmserve.api.dto.GenerateRequest;
import io.slmserve.api.dto.GenerateResponse;
import io.slmserve.api.dto.Problem;
import io.slmserve.api.dto.StreamResponse;
import io.slmserve.core.GeneratedToken;
import io.slmserve.inference.Completion;
import io.slmserve.inference.GenerationEvent;
import io.slmserve.inference.GenerationQuery;
import io.slmserve.inference.GenerationService;
import io.smallrye.common.annotation.Blocking;
import io.vertx.ext.web.RoutingContext;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

/** Native text generation with Hugging Face TGI names: /generate and /generate_stream (server-sent events). */
@Path("/")
@Tag(name = "Native", description = "Hugging Face TEI/TGI-style endpoints")
@Consumes(MediaType.APPLICATION_JSON)
@APIResponse(responseCode = "400", description = "Malformed or invalid request",
        content = @Content(mediaType = ErrorResponses.PROBLEM_JSON, schema = @Schema(implementation = Problem.class)))
@APIResponse(responseCode = "404", description = "Unknown model",
        content = @Content(mediaType = ErrorResponses.PROBLEM_JSON, schema = @Schema(implementation = Problem.class)))
@APIResponse(responseCode = "422", description = "Prompt plus max_new_tokens exceed the model's limits",
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
public class NativeGenerationResource {

    private final GenerationService generation;
    private final ObjectMapper json;

    public NativeGenerationResource(GenerationService generation, ObjectMapper json) {
        this.generation = generation;
        this.json = json;
    }

    @POST
    @Path("generate")
    @Produces(MediaType.APPLICATION_JSON)
    @Blocking // tokenizing and compiling an output constraint happen on the caller's thread, off the event loop
    @Operation(operationId = "generate",
            summary = "Generate text (TGI)", description = "Continues the prompt. Concurrent requests share "
            + "forward steps (continuous batching): a new request joins the running batch at the next token.")
    @APIResponse(responseCode = "200", description = "The generated text, with details when requested")
    public CompletionStage<GenerateResponse> generate(GenerateRequest request, RoutingContext rc) {
        GenerationQuery query = GenerationRequests.tgi(request, "/generate").withDeadline(RequestDeadlines.of(rc));
        boolean full = request.parameters() != null && Boolean.TRUE.equals(request.parameters().returnFullText());
        boolean details = request.parameters() != null && Boolean.TRUE.equals(request.parameters().details());
        return ClientGone.cancelOnDisconnect(rc, generation.generate(query)).thenApply(c -> {
            RequestTelemetry.model(rc, c.model());
            Completion.Choice choice = c.choices().get(0);
            String text = full ? c.prompt() + choice.text() : choice.text();
            return new GenerateResponse(text, details ? details(choice, query.params().topNTokens() > 0) : null);
        });
    }

    @POST
    @Path("generate_stream")
    @Produces(MediaType.SERVER_SENT_EVENTS)
    @Blocking
    @Operation(operationId = "generateStream",
            summary = "Generate text as server-sent events (TGI)", description = "One event per token: "
            + "{index, token{id, text, logprob, special}}; the last also has generated_text and details. The "
            + "events' token texts add up to generated_text.")
    @APIResponse(responseCode = "200", description = "text/event-stream of StreamResponse",
            content = @Content(mediaType = MediaType.SERVER_SENT_EVENTS,
                    schema = @Schema(implementation = StreamResponse.class)))
    public Response generateStream(GenerateRequest request, RoutingContext rc) {
        GenerationQuery query = GenerationRequests.tgi(request, "/generate_stream")
                .withDeadline(RequestDeadlines.of(rc));
        boolean full = request.parameters() != null && Boolean.TRUE.equals(request.parameters().returnFullText());
        return SseWriter.start(rc, events -> generation.stream(query, events), new TgiEvents(full),
                model -> RequestTelemetry.model(rc, model));
    }

    private static GenerateResponse.Details details(Completion.Choice choice, boolean top) {
        List<GenerateResponse.TokenInfo> tokens = new ArrayList<>();
        List<List<GenerateResponse.TokenInfo>> tops = top ? new ArrayList<>() : null;
        for (GeneratedToken t : choice.tokens()) {
            tokens.add(info(t, t.piece()));
            if (top) {
                tops.add(t.top().stream().map(a -> new GenerateResponse.TokenInfo(a.id(), a.text(), a.logprob(),
                        false)).toList());
            }
        }
        return new GenerateResponse.Details(choice.finishReason().tgi(), choice.generatedTokens(), choice.seed(),
                tokens, tops);
    }

    static GenerateResponse.TokenInfo info(GeneratedToken t, String text) {
        return new GenerateResponse.TokenInfo(t.id(), text, Double.isNaN(t.logprob()) ? null : t.logprob(),
                t.special());
    }

    /**
     * TGI's event sequence: each token is sent when the next one arrives, so the last can carry
     * generated_text and details.
     */
    private final class TgiEvents implements SseWriter.Renderer {
        private final boolean fullText;
        private GeneratedToken held;
        private int index;

        TgiEvents(boolean fullText) {
            this.fullText = fullText;
        }

        @Override
        public List<String> apply(GenerationEvent event) {
            if (event instanceof GenerationEvent.Token t) {
                List<String> out = held == null ? List.of() : List.of(write(held, null, null));
                held = t.token();
                return out;
            }
            if (event instanceof GenerationEvent.Done done) {
                Completion.Choice c = done.completion().choices().get(0);
                String text = fullText ? done.completion().prompt() + c.text() : c.text();
                return List.of(write(held, text,
                        new StreamResponse.StreamDetails(c.finishReason().tgi(), c.generatedTokens(), c.seed())));
            }
            if (event instanceof GenerationEvent.Failed failed) {
                return List.of(serialize(Map.of("error", failed.error().getMessage(),
                        "error_type", failed.error().kind().code())));
            }
            return List.of();
        }

        private String write(GeneratedToken t, String generatedText, StreamResponse.StreamDetails details) {
            List<GenerateResponse.TokenInfo> top = t.top().isEmpty() ? null : t.top().stream()
                    .map(a -> new GenerateResponse.TokenInfo(a.id(), a.text(), a.logprob(), false)).toList();
            return serialize(new StreamResponse(++index, info(t, t.text()), top, generatedText, details));
        }
    }

    private String serialize(Object value) {
        try {
            return json.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }
}
