package io.slmserve.api.dto;

import org.eclipse.microprofile.openapi.annotations.media.Schema;

/** One label and its score (TEI /predict). */
@Schema(name = "LabelScore")
public record LabelScore(@Schema(example = "0.97") double score, @Schema(example = "new_testament") String label) {
}
