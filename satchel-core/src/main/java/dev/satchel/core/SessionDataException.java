package dev.satchel.core;

/** Stored session data could not be read: corrupt, or written by an incompatible version. */
public class SessionDataException extends SessionException {

    private static final long serialVersionUID = 1L;

    /** Creates the exception for a session whose data is unreadable. */
    public SessionDataException(SessionId sessionId, String message, Throwable cause) {
        super(sessionId, message, cause);
    }

    /** Creates the exception for data not tied to a known session (a single attribute value). */
    public SessionDataException(String message, Throwable cause) {
        super(message, cause);
    }
}
