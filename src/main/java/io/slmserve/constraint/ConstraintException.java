package io.slmserve.constraint;

import io.slmserve.core.ServingException;

/** A constraint that cannot be compiled: always the client's fault, a 400 naming the request field. */
final class ConstraintException {

    private ConstraintException() {
    }

    static ServingException invalid(String field, String message) {
        return ServingException.invalid(field, field + ": " + message);
    }
}
