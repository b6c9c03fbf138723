package io.slmserve.api.dto;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

/** {@code POST /tokenize} with messages: the rendered prompt and the token ids generation would start from. */
@Schema(name = "ChatTokenizeResponse")
public record ChatTokenizeResponse(
        @Schema(description = "The model that rendered it") String model,
        @Schema(description = "The prompt text the chat template rendered") String prompt,
        @Schema(description = "Number of tokens") int count,
        @Schema(description = "Token ids of the prompt, as generation sees them") long[] tokens,
        @JsonProperty("token_strs") @Schema(description = "Each token's text") List<String> tokenStrs) {
}
