package io.slmserve.api.dto;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

/** TEI-style {@code POST /rerank} body. */
@Schema(name = "RerankRequest")
public record RerankRequest(
        @Schema(example = "What is the capital of France?") String query,
        @Schema(example = "[\"Paris is the capital of France.\", \"Bananas are yellow.\"]") List<String> texts,
        @JsonProperty("return_text") @Schema(description = "Echo each text (default false)", nullable = true)
        Boolean returnText,
        @Schema(description = "Cut over-long inputs instead of failing (default false)", nullable = true)
        Boolean truncate,
        @Schema(description = "Embedding model id; optional when one is loaded", example = "all-minilm-l6-v2",
                nullable = true)
        String model) {
}
