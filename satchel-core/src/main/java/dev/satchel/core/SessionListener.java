package dev.satchel.core;

/** Receives session events from an {@link ObservableSessionStore}. Implementations are thread-safe. */
@FunctionalInterface
public interface SessionListener {

    /** Called once per event; must return quickly and must not throw. */
    void onEvent(SessionEvent event);
}
