package dev.satchel.spring.boot;

/**
 * A Satchel setting the application cannot start with: an unknown store, a store that does not
 * answer, a missing key. Thrown while the application context starts, never on a request.
 */
public final class SatchelConfigurationException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final String action;

    SatchelConfigurationException(String message, String action, Throwable cause) {
        super(message, cause);
        this.action = action;
    }

    SatchelConfigurationException(String message, String action) {
        this(message, action, null);
    }

    /** What the user should do about it. */
    public String action() {
        return action;
    }
}
