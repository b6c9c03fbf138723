package io.slmserve.api.dto;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

/**
 * OpenAI {@code GET /v1/models} response: the models that are READY, and each loaded LoRA adapter as an entry of its
 * own whose {@code parent} is its base model (vLLM's shape).
 */
@Schema(name = "ModelList")
public record ModelList(@Schema(example = "list") String object, List<Entry> data) {

    /** One servable model. */
    @Schema(name = "Model")
    public record Entry(
            @Schema(example = "all-minilm-l6-v2") String id,
            @Schema(example = "model") String object,
            @Schema(example = "1764374400") long created,
            @JsonProperty("owned_by") @Schema(example = "slm-serve") String ownedBy,
            @com.fasterxml.jackson.annotation.JsonInclude(com.fasterxml.jackson.annotation.JsonInclude.Include.NON_NULL)
            @Schema(description = "For a LoRA adapter: its base model", nullable = true) String parent) {

        public Entry(String id, String object, long created, String ownedBy) {
            this(id, object, created, ownedBy, null);
        }
    }
}
