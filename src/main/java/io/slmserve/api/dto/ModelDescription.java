package io.slmserve.api.dto;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;
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
        @Schema(description = "A generative model's metadata from its folder, once it is READY", nullable = true)
        Generation generation,
        @Schema(description = "Embedding models: how token states become one vector", nullable = true)
        Pooling pooling,
        @Schema(description = "A READY decoder's LoRA adapters, loaded or failed (with the reason)", nullable = true)
        List<Adapter> adapters) {

    public ModelDescription(String id, String task, String family, String status, String reason, Integer workers,
                            Integer queueDepth, Batching batching) {
        this(id, task, family, status, reason, workers, queueDepth, batching, null, null, null);
    }

    /** One LoRA adapter: loaded (rank, targets, memory) or failed with its reason. */
    @Schema(name = "AdapterDescription")
    public record Adapter(
            @Schema(example = "kjv-psalms") String name,
            @Schema(enumeration = {"READY", "FAILED"}, example = "READY") String status,
            @Schema(description = "Why the adapter failed to load", nullable = true) String reason,
            @Schema(example = "8", nullable = true) Integer rank,
            @Schema(description = "Archive targets it changes", nullable = true) List<String> targets,
            @JsonProperty("memory_bytes") @Schema(description = "Host memory of its float32 weights",
                    example = "294912", nullable = true) Long memoryBytes) {
    }

    /** An embedding model's pooling as its folder declares it (or TEI's default). */
    @Schema(name = "PoolingSettings")
    public record Pooling(
            @Schema(enumeration = {"cls", "mean", "max", "lasttoken"}, example = "mean") String mode,
            @Schema(description = "Vectors are L2-normalised unless a request says otherwise") boolean normalize,
            @Schema(description = "Where the mode came from", example = "1_Pooling/config.json") String source,
            @Schema(description = "Prompt names the model declares") List<String> prompts,
            @JsonProperty("default_prompt_name") @Schema(nullable = true) String defaultPromptName) {
    }

    /** What a text-generation or text2text-generation model read from config.json and its neighbours. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    @Schema(name = "GenerationMetadata")
    public record Generation(
            @JsonProperty("eos_token_ids") @Schema(description = "Generation stops at any of these ids",
                    example = "[128001, 128008, 128009]") List<Long> eosTokenIds,
            @JsonProperty("eos_token") @Schema(example = "<|eot_id|>") String eosToken,
            @JsonProperty("bos_token") @Schema(example = "<|begin_of_text|>") String bosToken,
            @JsonProperty("add_bos_token") @Schema(description = "Whether the tokenizer puts bos_token_id in front "
                    + "of every prompt (never twice)") boolean addBosToken,
            @JsonProperty("bos_token_id") @Schema(description = "The id prepended when add_bos_token is true",
                    nullable = true) Long bosTokenId,
            @JsonProperty("bos_declared_by") @Schema(description = "The file and field that decided add_bos_token",
                    example = "tokenizer.json post_processor", nullable = true) String bosDeclaredBy,
            @JsonProperty("chat_template") @Schema(description = "Whether the folder has a chat template")
            boolean chatTemplate,
            @JsonProperty("max_total_tokens") @Schema(example = "512") int maxTotalTokens,
            @JsonProperty("generation_defaults") @Schema(description = "generation_config.json's values, used where "
                    + "a request leaves the parameter unset") GenerationDefaults generationDefaults) {
    }

    /** generation_config.json's sampling defaults; absent fields are not set by the model. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    @Schema(name = "GenerationDefaults")
    public record GenerationDefaults(
            @JsonProperty("do_sample") @Schema(nullable = true) Boolean doSample,
            @Schema(nullable = true, example = "0.6") Double temperature,
            @JsonProperty("top_p") @Schema(nullable = true, example = "0.9") Double topP,
            @JsonProperty("top_k") @Schema(nullable = true) Integer topK,
            @JsonProperty("min_p") @Schema(nullable = true) Double minP,
            @JsonProperty("repetition_penalty") @Schema(nullable = true) Double repetitionPenalty,
            @JsonProperty("max_new_tokens") @Schema(nullable = true) Integer maxNewTokens) {
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
