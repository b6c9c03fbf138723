package io.slmserve.api.dto;

import java.util.List;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

/** OpenAI {@code POST /v1/embeddings} response. */
@Schema(name = "EmbeddingsResponse")
public record EmbeddingsResponse(
        @Schema(example = "list") String object,
        List<Item> data,
        @Schema(example = "all-minilm-l6-v2") String model,
        Usage usage) {

    /** One embedding; {@code embedding} is a float array or a base64 string per encoding_format. */
    @Schema(name = "Embedding")
    public record Item(
            @Schema(example = "embedding") String object,
            @Schema(example = "0") int index,
            // Described like the polymorphic request fields (AnyJson plus its oneOf): a oneOf holding an array
            // alone breaks openapi-generator's Java client (it emits List<Float>.class).
            @Schema(ref = "AnyJson", oneOf = {float[].class, String.class},
                    description = "The vector as floats, or as base64 of little-endian float32 per encoding_format",
                    example = "[0.0123, -0.0456, 0.0789]") Object embedding) {
    }

    /** Token accounting. */
    @Schema(name = "EmbeddingsUsage")
    public record Usage(
            @com.fasterxml.jackson.annotation.JsonProperty("prompt_tokens") @Schema(example = "12") int promptTokens,
            @com.fasterxml.jackson.annotation.JsonProperty("total_tokens") @Schema(example = "12") int totalTokens) {
    }
}
