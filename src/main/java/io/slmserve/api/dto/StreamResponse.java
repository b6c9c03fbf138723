package io.slmserve.api.dto;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

/**
 * One server-sent event of {@code /generate_stream} (TGI shape). {@code token.text} is the text this token
 * releases (empty while a character or a possible stop string is incomplete), so the texts of all events add
 * up to {@code generated_text}, which only the last event carries, with the details.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@Schema(name = "StreamResponse")
public record StreamResponse(
        @Schema(description = "1-based token index") int index,
        GenerateResponse.TokenInfo token,
        @JsonProperty("top_tokens") List<GenerateResponse.TokenInfo> topTokens,
        @JsonProperty("generated_text") String generatedText,
        StreamDetails details) {

    /** Details on the last event. */
    @Schema(name = "StreamDetails")
    public record StreamDetails(@JsonProperty("finish_reason") String finishReason,
                                @JsonProperty("generated_tokens") int generatedTokens, long seed) {
    }
}
