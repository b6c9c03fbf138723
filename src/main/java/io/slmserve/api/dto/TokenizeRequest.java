package io.slmserve.api.dto;

import com.fasterxml.jackson.databind.JsonNode;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

/** TEI-style {@code POST /tokenize} body. */
@Schema(name = "TokenizeRequest")
public record TokenizeRequest(
        @Schema(description = "A string or an array of strings", oneOf = {String.class, String[].class},
                example = "\"Hello world!\"")
        JsonNode inputs,
        @Schema(description = "Cut at the model's max_input_tokens instead of failing (default false)", nullable = true)
        Boolean truncate,
        @Schema(description = "Model id; optional when one model is loaded", nullable = true)
        String model) {
}
