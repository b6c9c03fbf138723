package io.slmserve.api.dto;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.JsonNode;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

/** TEI-style {@code POST /embed} and {@code POST /embed_all} body ({@code /embed_all} ignores normalize and dimensions). */
@Schema(name = "EmbedRequest")
public record EmbedRequest(
        @Schema(description = "A string or an array of strings", oneOf = {String.class, String[].class},
                example = "\"What is deep learning?\"")
        JsonNode inputs,
        @Schema(description = "L2-normalise (default true)", example = "true", nullable = true)
        Boolean normalize,
        @Schema(description = "Cut inputs longer than the model's max_input_tokens instead of failing (default false)",
                example = "false", nullable = true)
        Boolean truncate,
        @Schema(description = "Keep the first N dimensions, then re-normalise", nullable = true)
        Integer dimensions,
        @JsonProperty("prompt_name") @Schema(description = "A prompt the model declares (config_sentence_transformers"
                + ".json prompts), prepended to each input; default: its default_prompt_name", nullable = true)
        String promptName,
        @Schema(description = "Model id; optional when one embedding model is loaded", example = "all-minilm-l6-v2",
                nullable = true)
        String model) {
}
