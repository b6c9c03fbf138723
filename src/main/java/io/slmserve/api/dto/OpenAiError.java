package io.slmserve.api.dto;

import org.eclipse.microprofile.openapi.annotations.media.Schema;

/** The OpenAI error envelope: {@code {"error": {message, type, param, code}}}. */
@Schema(name = "OpenAiError", description = "Error body on /v1 endpoints, as OpenAI returns it")
public record OpenAiError(Detail error) {

    /** The error itself. */
    @Schema(name = "OpenAiErrorDetail")
    public record Detail(
            @Schema(example = "input must not be empty") String message,
            @Schema(example = "invalid_request_error") String type,
            @Schema(example = "input", nullable = true) String param,
            @Schema(example = "invalid_request") String code) {
    }
}
