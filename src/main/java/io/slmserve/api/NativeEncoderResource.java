package io.slmserve.api;

import io.slmserve.api.dto.ChatTokenizeResponse;
import io.slmserve.api.dto.DecodeRequest;
import io.slmserve.api.dto.EmbedRequest;
import io.slmserve.api.dto.Problem;
import io.slmserve.api.dto.Token;
import io.slmserve.api.dto.TokenizeRequest;
import io.slmserve.core.ServingException;
import io.slmserve.core.TokenizedText;
import io.slmserve.inference.ChatInput;
import io.slmserve.inference.EmbeddingQuery;
import io.slmserve.inference.EmbeddingService;
import io.slmserve.inference.TokenizeService;
import io.vertx.ext.web.RoutingContext;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

/**
 * Native encoder endpoints with Hugging Face TEI names: /embed, /embed_all, /tokenize, /decode. The model is named in
 * the body's {@code model} field; without it the single model serving the task answers.
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
@APIResponse(responseCode = "503", description = "The model is loading or failed; see Retry-After",
        content = @Content(mediaType = ErrorResponses.PROBLEM_JSON, schema = @Schema(implementation = Problem.class)))
@APIResponse(responseCode = "401",
        description = "slm.auth.api-keys is set and the request has no valid Authorization: Bearer key",
        content = @Content(mediaType = ErrorResponses.PROBLEM_JSON, schema = @Schema(implementation = Problem.class)))
@APIResponse(responseCode = "504", description = "The request's deadline (X-Request-Timeout or the server's "
        + "default) passed while it was queued or running",
        content = @Content(mediaType = ErrorResponses.PROBLEM_JSON, schema = @Schema(implementation = Problem.class)))
public class NativeEncoderResource {

    private final EmbeddingService embeddings;
    private final TokenizeService tokenizer;

    public NativeEncoderResource(EmbeddingService embeddings, TokenizeService tokenizer) {
        this.embeddings = embeddings;
        this.tokenizer = tokenizer;
    }

    @POST
    @Path("embed")
    @Operation(operationId = "embed",
            summary = "Embed texts (TEI)", description = "Returns one vector per input, in input order.")
    @APIResponse(responseCode = "200", description = "An array of embeddings",
            content = @Content(schema = @Schema(implementation = float[][].class)))
    @APIResponse(responseCode = "429", description = "The model's queue is full; see Retry-After",
            content = @Content(mediaType = ErrorResponses.PROBLEM_JSON, schema = @Schema(implementation = Problem.class)))
    public CompletionStage<List<float[]>> embed(EmbedRequest request, RoutingContext rc) {
        InputParser.requireBody(request);
        List<String> texts = InputParser.texts(request.inputs(), "inputs");
        // TEI: /embed normalises unless told not to, whatever the folder's Normalize module says.
        EmbeddingQuery query = new EmbeddingQuery(request.model(), texts, null,
                Boolean.TRUE.equals(request.truncate()), !Boolean.FALSE.equals(request.normalize()),
                request.dimensions(), request.promptName(), "/embed", RequestDeadlines.of(rc));
        return embeddings.embed(query).thenApply(result -> {
            RequestTelemetry.model(rc, result.model());
            return result.vectors();
        });
    }

    @POST
    @Path("embed_all")
    @Operation(operationId = "embedAll", summary = "Token embeddings (TEI)",
            description = "The last hidden state of every token of each input (special tokens included), not pooled"
            + " or normalised: one [tokens][hidden] matrix per input.")
    @APIResponse(responseCode = "200", description = "One matrix per input",
            content = @Content(schema = @Schema(implementation = float[][][].class)))
    @APIResponse(responseCode = "429", description = "The model's queue is full; see Retry-After",
            content = @Content(mediaType = ErrorResponses.PROBLEM_JSON, schema = @Schema(implementation = Problem.class)))
    public CompletionStage<List<float[][]>> embedAll(EmbedRequest request, RoutingContext rc) {
        InputParser.requireBody(request);
        List<String> texts = InputParser.texts(request.inputs(), "inputs");
        EmbeddingQuery query = new EmbeddingQuery(request.model(), texts, null,
                Boolean.TRUE.equals(request.truncate()), false, null, request.promptName(), "/embed_all",
                RequestDeadlines.of(rc));
        return embeddings.embedAll(query);
    }

    @POST
    @Path("tokenize")
    @Operation(operationId = "tokenize",
            summary = "Tokenize texts as the model sees them", description = "Special tokens included.")
    // One schema for both shapes: the Java client generator cannot compile a oneOf holding List<List<Token>>.
    @APIResponse(responseCode = "200", description = "With inputs: an array per input of tokens {id, text}. With "
            + "messages: {model, prompt, count, tokens, token_strs}, the prompt the chat template rendered and its "
            + "token ids", content = @Content(schema = @Schema(ref = "AnyJson")))
    public Object tokenize(TokenizeRequest request) {
        InputParser.requireBody(request);
        if (request.messages() != null) {
            return tokenizeChat(request);
        }
        List<String> texts = InputParser.texts(request.inputs(), "inputs");
        List<List<Token>> out = new ArrayList<>(texts.size());
        for (TokenizedText text : tokenizer.tokenize(request.model(), texts, Boolean.TRUE.equals(request.truncate()))) {
            List<Token> tokens = new ArrayList<>(text.length());
            for (int i = 0; i < text.length(); i++) {
                tokens.add(new Token(text.ids()[i], text.tokens()[i]));
            }
            out.add(tokens);
        }
        return out;
    }

    private ChatTokenizeResponse tokenizeChat(TokenizeRequest request) {
        if (request.inputs() != null) {
            throw ServingException.invalid("messages", "give either inputs or messages, not both");
        }
        if (request.messages().isEmpty()) {
            throw ServingException.invalid("messages", "'messages' must be a non-empty array");
        }
        List<Map<String, Object>> messages = new ArrayList<>();
        for (int i = 0; i < request.messages().size(); i++) {
            messages.add(GenerationRequests.message(request.messages().get(i), i));
        }
        ChatInput chat = new ChatInput(messages, request.tools(), request.chatTemplateKwargs(),
                !Boolean.FALSE.equals(request.addGenerationPrompt()));
        TokenizeService.ChatPrompt rendered = tokenizer.tokenizeChat(request.model(), chat,
                Boolean.TRUE.equals(request.truncate()));
        TokenizedText tokens = rendered.tokens();
        return new ChatTokenizeResponse(rendered.model(), rendered.prompt(), tokens.length(), tokens.ids(),
                List.of(tokens.tokens()));
    }

    @POST
    @Path("decode")
    @Operation(operationId = "decode",
            summary = "Turn token ids back into text")
    @APIResponse(responseCode = "200", description = "The decoded text",
            content = @Content(schema = @Schema(implementation = String.class)))
    public String decode(DecodeRequest request) {
        InputParser.requireBody(request);
        if (request.ids() == null || request.ids().length == 0) {
            throw ServingException.invalid("ids", "'ids' must be a non-empty array of token ids");
        }
        return tokenizer.decode(request.model(), request.ids(), !Boolean.FALSE.equals(request.skipSpecialTokens()));
    }
}
