package io.slmserve.api.dto;

import com.fasterxml.jackson.annotation.JsonProperty;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

/** OpenAI {@code stream_options}: with include_usage, a last chunk carries the token counts. */
@Schema(name = "StreamOptions")
public record StreamOptions(@JsonProperty("include_usage") Boolean includeUsage) {
}
