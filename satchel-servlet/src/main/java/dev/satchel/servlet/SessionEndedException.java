package dev.satchel.servlet;

import dev.satchel.core.SessionException;
import dev.satchel.core.SessionId;

/**
 * An atomic update ({@link SatchelSessions#update}) found its session ended or renamed by another
 * request (a logout, a login elsewhere, expiry): nothing was written. The filter answers it with
 * 409 {@code session_ended} if the application lets it through; the session is invalid for the
 * rest of this request, as after {@code invalidate()}.
 */
public final class SessionEndedException extends SessionException {
    private static final long serialVersionUID = 1L;

    SessionEndedException(SessionId id) {
        super(id, "the session ended in another request; the update was not applied", null);
    }
}
