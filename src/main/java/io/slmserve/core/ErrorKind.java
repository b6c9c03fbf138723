package io.slmserve.core;

/**
 * Every way a request can fail, with the HTTP status it maps to and the OpenAI error type.
 * Client mistakes are 4xx; ENGINE_FAILURE (500) is a genuine engine fault, MODEL_NOT_READY (503) a model that
 * cannot serve now, DEADLINE_EXCEEDED (504) a request whose own deadline passed.
 */
public enum ErrorKind {
    INVALID_REQUEST(400, "invalid_request_error", "Invalid request"),
    UNAUTHORIZED(401, "authentication_error", "Unauthorized"),
    MODEL_NOT_FOUND(404, "invalid_request_error", "Model not found"),
    NOT_FOUND(404, "invalid_request_error", "Not found"),
    FORBIDDEN(403, "permission_error", "Forbidden"),
    METHOD_NOT_ALLOWED(405, "invalid_request_error", "Method not allowed"),
    CONFLICT(409, "invalid_request_error", "Conflict"),
    PAYLOAD_TOO_LARGE(413, "invalid_request_error", "Payload too large"),
    UNSUPPORTED_MEDIA_TYPE(415, "invalid_request_error", "Unsupported media type"),
    INPUT_TOO_LONG(422, "invalid_request_error", "Input too long"),
    QUEUE_FULL(429, "rate_limit_error", "Queue full"),
    ENGINE_FAILURE(500, "server_error", "Model execution failed"),
    MODEL_NOT_READY(503, "service_unavailable", "Model not ready"),
    DEADLINE_EXCEEDED(504, "timeout_error", "Deadline exceeded");

    private final int status;
    private final String openAiType;
    private final String title;

    ErrorKind(int status, String openAiType, String title) {
        this.status = status;
        this.openAiType = openAiType;
        this.title = title;
    }

    public int status() {
        return status;
    }

    public String openAiType() {
        return openAiType;
    }

    public String title() {
        return title;
    }

    /** Stable machine-readable code, e.g. {@code queue_full}. */
    public String code() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }

    /** The kind whose status matches, for errors raised outside our code (HTTP layer). */
    public static ErrorKind forStatus(int status) {
        for (ErrorKind kind : values()) {
            if (kind.status == status && kind != MODEL_NOT_FOUND) {
                return kind;
            }
        }
        return status >= 500 ? ENGINE_FAILURE : INVALID_REQUEST;
    }
}
