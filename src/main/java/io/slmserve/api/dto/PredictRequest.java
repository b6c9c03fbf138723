package io.slmserve.api.dto;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.JsonNode;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

/** TEI-style {@code POST /predict} body (text classification). */
@Schema(name = "PredictRequest")
public record PredictRequest(
        @Schema(description = "A string (answer: one list) or an array of strings (answer: one list per input)",
                oneOf = {String.class, String[].class}, example = "\"And Jesus answered and said unto them\"")
        JsonNode inputs,
        @JsonProperty("raw_scores") @Schema(description = "Logits instead of probabilities (default false)",
                nullable = true)
        Boolean rawScores,
        @JsonProperty("top_k") @Schema(description = "Keep the best k labels (default all)", nullable = true)
        Integer topK,
        @Schema(description = "Cut over-long inputs instead of failing (default false)", nullable = true)
        Boolean truncate,
        @Schema(description = "Model id; optional when one classifier is loaded", example = "nano-bert-testament",
                nullable = true)
        String model) {
}
