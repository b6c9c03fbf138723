package io.slmserve.api;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.slmserve.api.dto.ChatCompletionRequest;
import io.slmserve.api.dto.ChatCompletionResponse;
import io.slmserve.api.dto.CompletionRequest;
import io.slmserve.api.dto.CompletionResponse;
import io.slmserve.api.dto.OpenAiError;
import io.slmserve.api.dto.StreamOptions;
import io.slmserve.core.ServingException;
import io.slmserve.inference.ChatReplyFormats;
import io.slmserve.inference.ForcedToolCalls;
import io.slmserve.inference.GenerationQuery;
import io.slmserve.inference.GenerationService;
import io.smallrye.common.annotation.Blocking;
import io.vertx.ext.web.RoutingContext;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

/**
 * OpenAI-compatible text generation: /v1/completions and /v1/chat/completions, JSON or, with
 * {@code stream: true}, server-sent events ending with {@code data: [DONE]}. Errors use the OpenAI shape.
 */
@Path("/v1")
@Tag(name = "OpenAI", description = "OpenAI-compatible endpoints")
@Consumes(MediaType.APPLICATION_JSON)
@APIResponse(responseCode = "400", description = "Malformed or invalid request",
        content = @Content(schema = @Schema(implementation = OpenAiError.class)))
@APIResponse(responseCode = "404", description = "Unknown model",
        content = @Content(schema = @Schema(implementation = OpenAiError.class)))
@APIResponse(responseCode = "422", description = "Prompt plus max_tokens exceed the model's limits",
        content = @Content(schema = @Schema(implementation = OpenAiError.class)))
@APIResponse(responseCode = "429", description = "The model's queue is full; see Retry-After",
        content = @Content(schema = @Schema(implementation = OpenAiError.class)))
@APIResponse(responseCode = "503", description = "The model is loading or failed; see Retry-After",
        content = @Content(schema = @Schema(implementation = OpenAiError.class)))
@APIResponse(responseCode = "401",
        description = "slm.auth.api-keys is set and the request has no valid Authorization: Bearer key",
        content = @Content(schema = @Schema(implementation = OpenAiError.class)))
@APIResponse(responseCode = "504", description = "The request's deadline (X-Request-Timeout or the server's "
        + "default) passed while it was queued or running",
        content = @Content(schema = @Schema(implementation = OpenAiError.class)))
public class OpenAiGenerationResource {

    private final GenerationService generation;
    private final ChatReplyFormats replyFormats;
    private final ObjectMapper json;

    public OpenAiGenerationResource(GenerationService generation, ChatReplyFormats replyFormats, ObjectMapper json) {
        this.generation = generation;
        this.replyFormats = replyFormats;
        this.json = json;
    }

    @POST
    @Path("/completions")
    @Blocking
    @Operation(operationId = "createCompletion",
            summary = "Create a completion", description = "Continues the prompt; stream: true sends "
            + "text_completion chunks as server-sent events. Supports n, seed, stop, logprobs and vLLM's extras "
            + "(top_k, min_p, min_tokens, repetition_penalty, stop_token_ids, ignore_eos).")
    @APIResponse(responseCode = "200", description = "A text_completion, or a text/event-stream of chunks",
            content = {@Content(mediaType = MediaType.APPLICATION_JSON,
                    schema = @Schema(implementation = CompletionResponse.class)),
                    @Content(mediaType = MediaType.SERVER_SENT_EVENTS)})
    public CompletionStage<Response> completions(CompletionRequest request, RoutingContext rc) {
        GenerationQuery query = GenerationRequests.completion(request).withDeadline(RequestDeadlines.of(rc));
        OpenAiChunks chunks = new OpenAiChunks(false, json, includeUsage(request.streamOptions()),
                query.params().logprobs());
        if (Boolean.TRUE.equals(request.stream())) {
            return stream(query, chunks, rc);
        }
        return ClientGone.cancelOnDisconnect(rc, generation.generate(query)).thenApply(c -> {
            RequestTelemetry.model(rc, c.model());
            return Response.ok(chunks.completion(c), MediaType.APPLICATION_JSON_TYPE).build();
        });
    }

    @POST
    @Path("/chat/completions")
    @Blocking
    @Operation(operationId = "createChatCompletion",
            summary = "Create a chat completion", description = "Renders the messages (and tools) with the model's "
            + "chat template (tokenizer_config.json) and continues them; stream: true sends chat.completion.chunk "
            + "events. With tools, the reply's calls (in the model's tool_call_parser format) come back as "
            + "tool_calls with finish_reason tool_calls, streamed as tool-call deltas; a model with a "
            + "reasoning_parser puts its thinking in reasoning_content.")
    @APIResponse(responseCode = "200", description = "A chat.completion, or a text/event-stream of chunks",
            content = {@Content(mediaType = MediaType.APPLICATION_JSON,
                    schema = @Schema(implementation = ChatCompletionResponse.class)),
                    @Content(mediaType = MediaType.SERVER_SENT_EVENTS)})
    public CompletionStage<Response> chat(ChatCompletionRequest request, RoutingContext rc) {
        GenerationQuery asked = GenerationRequests.chat(request).withDeadline(RequestDeadlines.of(rc));
        ToolChoice choice = GenerationRequests.toolChoice(request);
        GenerationQuery query = choice.forces() ? forceToolCall(asked, request, choice) : asked;
        ChatReplies replies = new ChatReplies(choice, request.parallelToolCalls());
        OpenAiChunks chunks = new OpenAiChunks(true, json, includeUsage(request.streamOptions()),
                query.params().logprobs(), replies);
        if (Boolean.TRUE.equals(request.stream())) {
            return CompletableFuture.completedFuture(SseWriter.start(rc, events -> generation.stream(query, events),
                    chunks, model -> {
                        RequestTelemetry.model(rc, model);
                        chunks.model(model);
                        formats(replies, model);
                    }));
        }
        return ClientGone.cancelOnDisconnect(rc, generation.generate(query)).thenApply(c -> {
            RequestTelemetry.model(rc, c.model());
            formats(replies, c.model());
            return Response.ok(chunks.chat(c), MediaType.APPLICATION_JSON_TYPE).build();
        });
    }

    /** tool_choice required or a named function: the reply is constrained to calls in the model's format. */
    private GenerationQuery forceToolCall(GenerationQuery query, ChatCompletionRequest request, ToolChoice choice) {
        if (query.constraint() != null) {
            throw ServingException.invalid(query.constraint().field(), query.constraint().field() + " cannot be "
                    + "combined with tool_choice '" + (choice.function() == null ? choice.mode() : choice.function())
                    + "': a forced tool call already constrains the reply");
        }
        String model = generation.modelId(request.model());
        return query.withConstraint(ForcedToolCalls.of(model, replyFormats.of(model).tools(),
                ChatToolRequests.tools(request.tools()), choice.function(),
                !Boolean.FALSE.equals(request.parallelToolCalls())));
    }

    private CompletionStage<Response> stream(GenerationQuery query, OpenAiChunks chunks, RoutingContext rc) {
        return CompletableFuture.completedFuture(SseWriter.start(rc, events -> generation.stream(query, events), chunks,
                model -> {
                    RequestTelemetry.model(rc, model);
                    chunks.model(model);
                }));
    }

    private void formats(ChatReplies replies, String model) {
        ChatReplyFormats.ReplyFormat format = replyFormats.of(model);
        replies.formats(format.tools(), format.reasoning());
    }

    private static boolean includeUsage(StreamOptions options) {
        return options != null && Boolean.TRUE.equals(options.includeUsage());
    }
}
