package io.slmserve.api.dto;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.JsonNode;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

/** OpenAI {@code POST /v1/embeddings} body. */
@Schema(name = "EmbeddingsRequest")
public record EmbeddingsRequest(
        @Schema(description = "Model id; optional when one embedding model is loaded", example = "all-minilm-l6-v2")
        String model,
        @Schema(description = "A string, an array of strings, an array of token ids or an array of token-id arrays",
                oneOf = {String.class, String[].class, long[].class, long[][].class},
                example = "[\"The cat sits on the mat.\", \"A dog plays in the park.\"]")
        JsonNode input,
        @JsonProperty("encoding_format")
        @Schema(description = "float (default) or base64 of little-endian float32", enumeration = {"float", "base64"},
                example = "float")
        String encodingFormat,
        @Schema(description = "Keep the first N dimensions, then re-normalise", example = "128", nullable = true)
        Integer dimensions,
        @Schema(description = "End-user id; accepted and ignored", nullable = true)
        String user) {
}
