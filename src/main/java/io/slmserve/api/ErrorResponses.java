package io.slmserve.api;

import io.slmserve.api.dto.OpenAiError;
import io.slmserve.api.dto.Problem;
import io.slmserve.core.ErrorKind;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

/** Builds error responses in the shape the caller's API family expects. */
final class ErrorResponses {

    static final String PROBLEM_JSON = "application/problem+json";

    private ErrorResponses() {
    }

    static Response build(String path, ErrorKind kind, String message, String param, Integer retryAfterSeconds) {
        Response.ResponseBuilder builder = Response.status(kind.status());
        if (retryAfterSeconds != null) {
            builder.header("Retry-After", retryAfterSeconds);
        }
        if (path != null && path.startsWith("/v1/")) {
            return builder.type(MediaType.APPLICATION_JSON_TYPE)
                    .entity(new OpenAiError(new OpenAiError.Detail(message, kind.openAiType(), param, kind.code())))
                    .build();
        }
        return builder.type(PROBLEM_JSON)
                .entity(new Problem("urn:slm-serve:error:" + kind.code(), kind.title(), kind.status(), message, path, param))
                .build();
    }
}
