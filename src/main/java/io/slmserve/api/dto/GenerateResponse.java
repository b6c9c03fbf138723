package io.slmserve.api.dto;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

/** Native {@code POST /generate} answer (TGI shape); details only when requested. */
@JsonInclude(JsonInclude.Include.NON_NULL)
@Schema(name = "GenerateResponse")
public record GenerateResponse(
        @JsonProperty("generated_text") @Schema(example = " God created the heaven") String generatedText,
        Details details) {

    /** What TGI calls details. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    @Schema(name = "GenerateDetails")
    public record Details(
            @JsonProperty("finish_reason") @Schema(enumeration = {"length", "eos_token", "stop_sequence"})
            String finishReason,
            @JsonProperty("generated_tokens") int generatedTokens,
            long seed,
            List<TokenInfo> tokens,
            @JsonProperty("top_tokens") List<List<TokenInfo>> topTokens) {
    }

    /** One token: id, its own text, log-probability, and whether it is special. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    @Schema(name = "GeneratedTokenInfo")
    public record TokenInfo(long id, String text, Double logprob, boolean special) {
    }
}
