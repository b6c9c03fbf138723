package io.slmserve.api.dto;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

/**
 * {@code POST /rerank} (TEI: {@code texts}) and {@code POST /v1/rerank} (Cohere/Jina/vLLM: {@code documents},
 * {@code top_n}) body.
 */
@Schema(name = "RerankRequest")
public record RerankRequest(
        @Schema(example = "What is the capital of France?") String query,
        @Schema(description = "TEI: the passages", nullable = true,
                example = "[\"Paris is the capital of France.\", \"Bananas are yellow.\"]") List<String> texts,
        @Schema(description = "Cohere/Jina/vLLM: the passages, strings or {\"text\": ...} objects; answered in their "
                + "response shape", nullable = true, type = org.eclipse.microprofile.openapi.annotations.enums.SchemaType.ARRAY)
        JsonNode documents,
        @JsonProperty("top_n") @Schema(description = "Keep the N best (default all)", nullable = true)
        Integer topN,
        @JsonProperty("return_text") @Schema(description = "Echo each text (default false)", nullable = true)
        Boolean returnText,
        @JsonProperty("return_documents") @Schema(description = "Cohere: echo each document (default: true with "
                + "documents)", nullable = true)
        Boolean returnDocuments,
        @JsonProperty("raw_scores") @Schema(description = "Cross-encoders: the logit instead of its sigmoid "
                + "(default false)", nullable = true)
        Boolean rawScores,
        @Schema(description = "Cut over-long inputs instead of failing (default false)", nullable = true)
        Boolean truncate,
        @JsonProperty("truncation_direction") @Schema(description = "Which end of an over-long passage is cut",
                enumeration = {"right", "left"}, nullable = true)
        String truncationDirection,
        @Schema(description = "Cross-encoder or embedding model id; optional when one cross-encoder (or else one "
                + "embedding model) is loaded", example = "my-cross-encoder", nullable = true)
        String model) {
}
