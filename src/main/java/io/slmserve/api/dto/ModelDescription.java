package io.slmserve.api.dto;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

/** Native {@code GET /models/{id}}: a model folder's state, settings and live pool numbers. */
@JsonInclude(JsonInclude.Include.NON_NULL)
@Schema(name = "ModelDescription")
public record ModelDescription(
        @Schema(example = "all-minilm-l6-v2") String id,
        @Schema(example = "text-embedding", nullable = true) String task,
        @Schema(example = "encoder", nullable = true) String family,
        @Schema(enumeration = {"LOADING", "READY", "FAILED"}, example = "READY") String status,
        @Schema(description = "Why the model FAILED", nullable = true) String reason,
        @Schema(example = "2", nullable = true) Integer workers,
        @JsonProperty("queue_depth") @Schema(example = "0", nullable = true) Integer queueDepth,
        @Schema(nullable = true) Batching batching,
        @Schema(description = "Embedding models: how token states become one vector", nullable = true)
        Pooling pooling) {

    /** An embedding model's pooling as its folder declares it (or TEI's default). */
    @Schema(name = "PoolingSettings")
    public record Pooling(
            @Schema(enumeration = {"cls", "mean", "max", "lasttoken"}, example = "mean") String mode,
            @Schema(description = "Vectors are L2-normalised unless a request says otherwise") boolean normalize,
            @Schema(description = "Where the mode came from", example = "1_Pooling/config.json") String source,
            @Schema(description = "Prompt names the model declares") java.util.List<String> prompts,
            @JsonProperty("default_prompt_name") @Schema(nullable = true) String defaultPromptName) {
    }

    /** The batch settings from serving.properties. */
    @Schema(name = "BatchSettings")
    public record Batching(
            @JsonProperty("batch_size") @Schema(example = "16") int batchSize,
            @JsonProperty("max_batch_delay_ms") @Schema(example = "5") long maxBatchDelayMs,
            @JsonProperty("max_batch_tokens") @Schema(example = "4096") int maxBatchTokens,
            @JsonProperty("job_queue_size") @Schema(example = "256") int jobQueueSize,
            @JsonProperty("min_workers") @Schema(example = "2") int minWorkers,
            @JsonProperty("max_workers") @Schema(example = "2") int maxWorkers,
            @JsonProperty("max_input_tokens") @Schema(example = "256") int maxInputTokens) {
    }
}
