package dev.satchel.core.support;

import java.time.Duration;

/** The argument checks every store's builder makes on a {@link Duration}, with one wording. */
public final class Durations {
    private Durations() {}

    /**
     * @return {@code value}, if it is longer than zero
     * @throws IllegalArgumentException naming {@code what}, if it is null, zero or negative
     */
    public static Duration requirePositive(Duration value, String what) {
        if (value == null || value.isNegative() || value.isZero()) {
            throw new IllegalArgumentException(what + " must be positive: " + value);
        }
        return value;
    }

    /**
     * @return {@code value}, if it is zero or longer
     * @throws IllegalArgumentException naming {@code what}, if it is null or negative
     */
    public static Duration requireNonNegative(Duration value, String what) {
        if (value == null || value.isNegative()) {
            throw new IllegalArgumentException(what + " must not be negative: " + value);
        }
        return value;
    }
}
