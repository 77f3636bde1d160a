package dev.satchel.core;

import java.util.Optional;

/**
 * The root of every exception Satchel throws. Unchecked, because a servlet request cannot recover
 * from a store failure by catching it locally; the filter turns it into a clear HTTP status.
 */
public class SessionException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final transient SessionId sessionId;

    /** Creates an exception that concerns no particular session. */
    public SessionException(String message, Throwable cause) {
        super(message, cause);
        this.sessionId = null;
    }

    /** Creates an exception about one session; the id appears in the message only redacted. */
    public SessionException(SessionId sessionId, String message, Throwable cause) {
        super(message + " (session " + sessionId.redacted() + ")", cause);
        this.sessionId = sessionId;
    }

    /** The session this failure concerns, if it concerns one. */
    public Optional<SessionId> sessionId() {
        return Optional.ofNullable(sessionId);
    }
}
