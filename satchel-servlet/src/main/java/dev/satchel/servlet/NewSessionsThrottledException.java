package dev.satchel.servlet;

import dev.satchel.core.SessionException;
import java.time.Duration;

/**
 * A new session was refused because its client address created too many too fast (see {@link
 * NewSessionThrottle}). The filter answers it with 429 and {@code Retry-After}.
 */
public final class NewSessionsThrottledException extends SessionException {
    private static final long serialVersionUID = 1L;

    private final Duration retryAfter;

    NewSessionsThrottledException(Duration retryAfter) {
        super("too many new sessions from one client address; retry after " + retryAfter, null);
        this.retryAfter = retryAfter;
    }

    /** How long until the address may create a session again. */
    public Duration retryAfter() {
        return retryAfter;
    }
}
