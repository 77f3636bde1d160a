package dev.satchel.core;

/**
 * A store that reports sessions created, expired and deleted. Each event fires exactly once per
 * session and store, on whichever thread observed it; listeners must be quick and must not throw.
 */
public interface ObservableSessionStore extends SessionStore {

    /**
     * Registers a listener until the returned handle is closed.
     *
     * @return a handle whose {@code close()} unregisters the listener
     */
    AutoCloseable subscribe(SessionListener listener);
}
