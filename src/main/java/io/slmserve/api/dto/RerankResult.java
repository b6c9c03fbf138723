package io.slmserve.api.dto;

import com.fasterxml.jackson.annotation.JsonInclude;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

/** One reranked text: its index in the request, its score, and the text when asked for. */
@JsonInclude(JsonInclude.Include.NON_NULL)
@Schema(name = "RerankResult")
public record RerankResult(@Schema(example = "0") int index, @Schema(example = "0.83") double score,
        @Schema(nullable = true) String text) {
}
