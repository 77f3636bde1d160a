package dev.satchel.core;

/** The store could not be reached or did not answer in time; the request should fail fast (503). */
public class SessionStoreUnavailableException extends SessionException {

    private static final long serialVersionUID = 1L;

    /** Creates the exception with what failed and why. */
    public SessionStoreUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
