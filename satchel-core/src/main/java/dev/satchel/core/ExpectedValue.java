package dev.satchel.core;

import java.util.Arrays;
import java.util.Optional;

/**
 * What one attribute must hold, encoded, for a conditional save to apply: exactly these bytes, or
 * no value at all. Comparing values rather than per-attribute versions needs no extra state in any
 * store, and a value that changed and changed back (A, B, A) is harmless: an update function given
 * equal values computes equal results.
 *
 * @param encoded the bytes the attribute must hold, or empty if it must be absent
 */
public record ExpectedValue(Optional<byte[]> encoded) {

    private static final ExpectedValue ABSENT = new ExpectedValue(Optional.empty());

    /** Copies the bytes, so nobody can change what is expected after the fact. */
    public ExpectedValue {
        encoded = encoded.map(byte[]::clone);
    }

    /** The attribute must have no value. */
    public static ExpectedValue absent() {
        return ABSENT;
    }

    /** The attribute must hold exactly these encoded bytes. */
    public static ExpectedValue of(byte[] encoded) {
        return new ExpectedValue(Optional.of(encoded));
    }

    /** What the attribute held when it was read: its bytes, or absent. */
    public static ExpectedValue of(Optional<byte[]> encoded) {
        return encoded.isPresent() ? of(encoded.get()) : ABSENT;
    }

    /** Tells whether an attribute holding {@code stored} (empty: no value) meets this expectation. */
    public boolean matches(Optional<byte[]> stored) {
        if (encoded.isEmpty() || stored.isEmpty()) {
            return encoded.isEmpty() && stored.isEmpty();
        }
        return Arrays.equals(encoded.get(), stored.get());
    }

    /** The expected bytes themselves (not a copy), for stores that send them on; never modify them. */
    public Optional<byte[]> bytes() {
        return encoded;
    }

    @Override
    public Optional<byte[]> encoded() {
        return encoded.map(byte[]::clone);
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof ExpectedValue that && that.matches(encoded);
    }

    @Override
    public int hashCode() {
        return encoded.map(Arrays::hashCode).orElse(0);
    }

    @Override
    public String toString() {
        return encoded.map(b -> "ExpectedValue[" + b.length + " bytes]").orElse("ExpectedValue[absent]");
    }
}
