package io.slmserve.core;

import java.time.Duration;

/**
 * When a request stops being worth answering: a point on the {@link System#nanoTime()} clock, fixed when the
 * request arrives. Work still queued at its deadline is dropped and running work stops, both answered 504.
 *
 * @param atNanos the deadline on the nanoTime clock; {@link Long#MAX_VALUE} for none
 * @param budget  the timeout it was made from, for messages; {@link Duration#ZERO} for none
 */
public record Deadline(long atNanos, Duration budget) {

    /** No deadline. */
    public static final Deadline NONE = new Deadline(Long.MAX_VALUE, Duration.ZERO);

    /** A deadline {@code timeout} from now; zero or negative means none. */
    public static Deadline after(Duration timeout) {
        if (timeout == null || timeout.isZero() || timeout.isNegative()) {
            return NONE;
        }
        return new Deadline(System.nanoTime() + timeout.toNanos(), timeout);
    }

    public boolean bounded() {
        return atNanos != Long.MAX_VALUE;
    }

    public boolean expired(long nowNanos) {
        return bounded() && nowNanos - atNanos >= 0;
    }

    public boolean expired() {
        return expired(System.nanoTime());
    }

    /** Nanoseconds left (0 once passed); {@link Long#MAX_VALUE} without a deadline. */
    public long remainingNanos() {
        return bounded() ? Math.max(0, atNanos - System.nanoTime()) : Long.MAX_VALUE;
    }

    /** The 504 for a request of {@code model} whose deadline passed while {@code where} (queued, running). */
    public ServingException exceeded(String model, String where) {
        return new ServingException(ErrorKind.DEADLINE_EXCEEDED, "the request's deadline of " + describe()
                + " passed while it was " + where + " on model '" + model + "'", null, null, null);
    }

    private String describe() {
        long ms = budget.toMillis();
        return ms % 1000 == 0 ? ms / 1000 + " s" : ms + " ms";
    }
}
