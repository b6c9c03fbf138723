package io.slmserve.api.dto;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.JsonNode;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

/** {@code POST /fill-mask} body, answered as Hugging Face's fill-mask pipeline does. */
@Schema(name = "FillMaskRequest")
public record FillMaskRequest(
        @Schema(description = "A string or an array of strings, each with exactly one mask token",
                oneOf = {String.class, String[].class}, example = "\"In the beginning God created the [MASK] and the earth.\"")
        JsonNode inputs,
        @JsonProperty("top_k") @Schema(description = "Candidates per mask (default 5, at most 100)", nullable = true)
        Integer topK,
        @Schema(description = "Cut over-long inputs instead of failing (default false)", nullable = true)
        Boolean truncate,
        @Schema(description = "Model id; optional when one fill-mask model is loaded", example = "nano-bert-mlm",
                nullable = true)
        String model) {
}
