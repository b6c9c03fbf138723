package io.slmserve.api.dto;

import com.fasterxml.jackson.annotation.JsonProperty;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

/** One fill-mask candidate, with Hugging Face pipeline names. */
@Schema(name = "FillMaskCandidate")
public record FillMaskCandidate(
        @Schema(example = "0.42") double score,
        @Schema(example = "1234") long token,
        @JsonProperty("token_str") @Schema(example = "heaven") String tokenStr,
        @Schema(example = "in the beginning god created the heaven and the earth.") String sequence) {
}
