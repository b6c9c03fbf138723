package io.slmserve.api.dto;

import org.eclipse.microprofile.openapi.annotations.media.Schema;

/** One token as /tokenize returns it. */
@Schema(name = "Token")
public record Token(@Schema(example = "7592") long id, @Schema(example = "hello") String text) {
}
