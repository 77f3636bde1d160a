package dev.satchel.core;

import java.util.Objects;
import java.util.Optional;

/**
 * Something that happened to a session in a store.
 *
 * @param type what happened
 * @param id the session concerned
 * @param lastState the session as it was just before the event, when the store still had it
 */
public record SessionEvent(Type type, SessionId id, Optional<SessionRecord> lastState) {

    /** Validates the event. */
    public SessionEvent {
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(lastState, "lastState");
    }

    /** Kinds of session event. */
    public enum Type {
        /** A session was stored for the first time. */
        CREATED,
        /** A session reached its idle or absolute timeout and was reclaimed. */
        EXPIRED,
        /** A session was invalidated or deleted. */
        DELETED
    }
}
