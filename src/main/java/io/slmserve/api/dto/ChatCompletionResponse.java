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
    public record Choice(int index, @JsonInclude(JsonInclude.Include.NON_NULL) Delta message,
                         @JsonInclude(JsonInclude.Include.NON_NULL) Delta delta, Logprobs logprobs,
                         @JsonProperty("finish_reason") String finishReason) {
    }

    /** A message or a stream delta. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    @Schema(name = "ChatDelta")
    public record Delta(String role, String content) {
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
