package dev.satchel.core;

/**
 * A new session was refused because the store holds as many live sessions, or as many bytes of
 * them, as it is allowed to.
 * Existing sessions are never evicted to make room, since that would silently log a user out.
 */
public class SessionLimitException extends SessionException {

    private static final long serialVersionUID = 1L;

    /** Creates the exception naming the limit that was reached. */
    public SessionLimitException(long limit) {
        super("session limit reached: " + limit + " live sessions", null);
    }

    /** Creates the exception with a message that names the limit reached, such as a byte budget. */
    public SessionLimitException(String message) {
        super(message, null);
    }
}
