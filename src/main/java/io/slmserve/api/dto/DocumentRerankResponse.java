package io.slmserve.api.dto;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

/** The Cohere/Jina/vLLM rerank response, with {@code scorer} saying what scored. */
@JsonInclude(JsonInclude.Include.NON_NULL)
@Schema(name = "DocumentRerankResponse")
public record DocumentRerankResponse(
        @Schema(example = "rerank-1f3a") String id,
        @Schema(example = "my-cross-encoder") String model,
        @Schema(description = "cross-encoder (pair logit or its sigmoid) or cosine (embedding similarity)",
                enumeration = {"cross-encoder", "cosine"}) String scorer,
        Usage usage,
        List<Result> results) {

    @Schema(name = "DocumentRerankUsage")
    public record Usage(@JsonProperty("total_tokens") int totalTokens) {
    }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    @Schema(name = "DocumentRerankResult")
    public record Result(int index, @JsonProperty("relevance_score") double relevanceScore,
                         @Schema(nullable = true) Document document) {
    }

    @Schema(name = "RerankDocument")
    public record Document(String text) {
    }
}
