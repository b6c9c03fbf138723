package io.slmserve.api.dto;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;
import java.util.Map;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

/**
 * OpenAI {@code text_completion} answer, and each chunk of its stream (same shape; a usage-only last chunk has
 * no choices).
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@Schema(name = "CompletionResponse")
public record CompletionResponse(String id, String object, long created, String model, List<Choice> choices,
                                 Usage usage) {

    /** One choice; finish_reason is null on stream chunks before the last. */
    @Schema(name = "CompletionChoice")
    public record Choice(int index, String text, Logprobs logprobs,
                         @JsonProperty("finish_reason") String finishReason) {
    }

    /** The legacy completions log-probability block. */
    @Schema(name = "CompletionLogprobs")
    public record Logprobs(List<String> tokens, @JsonProperty("token_logprobs") List<Double> tokenLogprobs,
                           @JsonProperty("top_logprobs") List<Map<String, Double>> topLogprobs,
                           @JsonProperty("text_offset") List<Integer> textOffset) {
    }
}
