package dev.satchel.servlet;

import java.time.Instant;
import java.util.Map;
import java.util.Objects;

/**
 * A session as another request may see it: no id, only a non-secret handle.
 *
 * @param handle see {@link SatchelSessions#handleOf}
 * @param createdAt when the session began
 * @param lastAccessedAt when it was last used (within the touch throttle)
 * @param expiresAt when it ends unless used again
 * @param attributes its decoded attributes; values that failed to decode are left out
 */
public record SessionInfo(
        String handle, Instant createdAt, Instant lastAccessedAt, Instant expiresAt, Map<String, Object> attributes) {

    /** Validates the fields and freezes the attributes. */
    public SessionInfo {
        Objects.requireNonNull(handle, "handle");
        Objects.requireNonNull(createdAt, "createdAt");
        Objects.requireNonNull(lastAccessedAt, "lastAccessedAt");
        Objects.requireNonNull(expiresAt, "expiresAt");
        attributes = Map.copyOf(attributes);
    }
}
