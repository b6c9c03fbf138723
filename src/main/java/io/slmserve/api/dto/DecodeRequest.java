package io.slmserve.api.dto;

import com.fasterxml.jackson.annotation.JsonProperty;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

/** TEI-style {@code POST /decode} body. */
@Schema(name = "DecodeRequest")
public record DecodeRequest(
        @Schema(description = "Token ids", example = "[101, 7592, 2088, 102]") long[] ids,
        @JsonProperty("skip_special_tokens") @Schema(description = "Default true", nullable = true)
        Boolean skipSpecialTokens,
        @Schema(description = "Model id; optional when one model is loaded", nullable = true) String model) {
}
