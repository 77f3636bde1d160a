package dev.satchel.servlet;

import dev.satchel.core.SessionException;

/**
 * An atomic update ({@link SatchelSessions#update}) of one attribute found it changed by other
 * requests at every attempt, and gave up rather than overwrite their changes. The filter answers it
 * with 409 and {@code Retry-After: 1} if the application lets it through; nothing was written.
 */
public final class AttributeUpdateConflictException extends SessionException {
    private static final long serialVersionUID = 1L;

    private final String attribute;
    private final int attempts;

    AttributeUpdateConflictException(String attribute, int attempts) {
        super(
                "attribute '" + attribute + "' changed under " + attempts
                        + " attempts in a row to update it; nothing was written",
                null);
        this.attribute = attribute;
        this.attempts = attempts;
    }

    /** The attribute that could not be updated. */
    public String attribute() {
        return attribute;
    }

    /** How many times the update read, applied and found the attribute changed. */
    public int attempts() {
        return attempts;
    }
}
