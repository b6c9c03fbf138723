package io.slmserve.core;

import java.util.Objects;

/**
 * The one exception type that crosses layers; the API maps it to problem+json or the OpenAI error shape.
 */
public class ServingException extends RuntimeException {

    private final ErrorKind kind;
    private final String param;
    private final Integer retryAfterSeconds;

    public ServingException(ErrorKind kind, String message) {
        this(kind, message, null, null, null);
    }

    public ServingException(ErrorKind kind, String message, String param) {
        this(kind, message, param, null, null);
    }

    public ServingException(ErrorKind kind, String message, String param, Integer retryAfterSeconds, Throwable cause) {
        super(message, cause);
        this.kind = Objects.requireNonNull(kind, "kind");
        this.param = param;
        this.retryAfterSeconds = retryAfterSeconds;
    }

    public static ServingException invalid(String param, String message) {
        return new ServingException(ErrorKind.INVALID_REQUEST, message, param);
    }

    public static ServingException queueFull(String model, int retryAfterSeconds) {
        return new ServingException(ErrorKind.QUEUE_FULL,
                "model '" + model + "' is at its queue limit; retry later", null, retryAfterSeconds, null);
    }

    public static ServingException notReady(String model, String why, int retryAfterSeconds) {
        return new ServingException(ErrorKind.MODEL_NOT_READY,
                "model '" + model + "' is not ready: " + why, "model", retryAfterSeconds, null);
    }

    public ErrorKind kind() {
        return kind;
    }

    /** The request field at fault, or null. */
    public String param() {
        return param;
    }

    /** Seconds for a Retry-After header, or null. */
    public Integer retryAfterSeconds() {
        return retryAfterSeconds;
    }
}
