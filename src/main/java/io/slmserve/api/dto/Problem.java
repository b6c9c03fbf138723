package io.slmserve.api.dto;

import com.fasterxml.jackson.annotation.JsonInclude;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

/** RFC 9457 problem details, the error body of native endpoints (application/problem+json). */
@JsonInclude(JsonInclude.Include.NON_NULL)
@Schema(name = "Problem", description = "RFC 9457 problem details")
public record Problem(
        @Schema(example = "urn:slm-serve:error:invalid_request") String type,
        @Schema(example = "Invalid request") String title,
        @Schema(example = "400") int status,
        @Schema(example = "inputs must not be empty") String detail,
        @Schema(example = "/embed") String instance,
        @Schema(example = "inputs", nullable = true) String param) {
}
