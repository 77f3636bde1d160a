package dev.satchel.core;

import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The listener list behind {@link ObservableSessionStore#subscribe}, shared by every store. A
 * listener that throws is logged and does not stop the others. Thread-safe.
 */
public final class SessionListeners {
    private static final Logger LOG = LoggerFactory.getLogger(SessionListeners.class);

    private final CopyOnWriteArrayList<SessionListener> listeners = new CopyOnWriteArrayList<>();

    /** Adds a listener; closing the handle removes it. */
    public AutoCloseable add(SessionListener listener) {
        Objects.requireNonNull(listener, "listener");
        listeners.add(listener);
        return () -> listeners.remove(listener);
    }

    /** Delivers an event to every listener, in registration order. */
    public void publish(SessionEvent event) {
        for (SessionListener listener : listeners) {
            try {
                listener.onEvent(event);
            } catch (RuntimeException e) {
                LOG.warn("session listener {} failed on {} of {}", listener, event.type(), event.id(), e);
            }
        }
    }

    /** Tells whether anyone listens, so stores can skip building events nobody reads. */
    public boolean isEmpty() {
        return listeners.isEmpty();
    }
}
