package io.slmserve.api.dto;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

/**
 * OpenAI {@code chat.completion} answer and {@code chat.completion.chunk} stream chunk: choices carry a
 * message in the first, a delta in the second.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@Schema(name = "ChatCompletionResponse")
public record ChatCompletionResponse(String id, String object, long created, String model, List<Choice> choices,
                                     Usage usage) {

    /** One choice. */
    @Schema(name = "ChatChoice")
    public record Choice(int index, @JsonInclude(JsonInclude.Include.NON_NULL) Message message,
                         @JsonInclude(JsonInclude.Include.NON_NULL) Delta delta, Logprobs logprobs,
                         @JsonProperty("finish_reason") String finishReason) {
    }

    /** A stream delta. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    @Schema(name = "ChatDelta")
    public record Delta(String role, String content,
                        @JsonProperty("reasoning_content") String reasoningContent,
                        @JsonProperty("tool_calls") List<ToolCall> toolCalls) {

        public Delta(String role, String content) {
            this(role, content, null, null);
        }
    }

    /** The reply: content is null when the model only called tools. */
    @Schema(name = "ChatMessageOut")
    public record Message(String role, @JsonInclude(JsonInclude.Include.ALWAYS) String content,
                          @JsonInclude(JsonInclude.Include.NON_NULL) @JsonProperty("reasoning_content")
                          @Schema(description = "The model's thinking, when its reasoning_parser is set")
                          String reasoningContent,
                          @JsonInclude(JsonInclude.Include.NON_NULL) @JsonProperty("tool_calls")
                          List<ToolCall> toolCalls) {
    }

    /** A tool call; in a stream delta, index says which call the pieces belong to. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    @Schema(name = "ChatToolCall")
    public record ToolCall(Integer index, String id, String type, Function function) {
    }

    /** The function called, arguments as a JSON text. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    @Schema(name = "ChatFunctionCall")
    public record Function(String name, String arguments) {
    }

    /** Chat log-probabilities: one entry per token. */
    @Schema(name = "ChatLogprobs")
    public record Logprobs(List<TokenLogprob> content) {
    }

    /** A token with its log-probability, UTF-8 bytes and alternatives. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    @Schema(name = "ChatTokenLogprob")
    public record TokenLogprob(String token, double logprob, List<Integer> bytes,
                               @JsonProperty("top_logprobs") List<TokenLogprob> topLogprobs) {
    }
}
