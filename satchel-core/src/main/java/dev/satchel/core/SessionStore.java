package dev.satchel.core;

import java.util.Optional;

/**
 * Where session state lives: the one interface every placement strategy implements (memory, Redis,
 * SQL, replicated, primary-backup, cookie).
 *
 * <p>Implementations are thread-safe. Calls are synchronous and bounded by the store's own timeouts;
 * a store that cannot answer in time throws {@link SessionStoreUnavailableException} rather than
 * blocking the request. Optional capabilities are the sub-interfaces {@link PrincipalIndexedStore},
 * {@link ObservableSessionStore} and {@link ConditionalSaveStore}.
 *
 * <p>Every implementation passes the shared contract suite, {@code SessionStoreContract}, found in
 * the test jar of satchel-core.
 */
public interface SessionStore extends AutoCloseable {

    /**
     * Loads a live session. Never returns an expired one, whether or not it has been reclaimed yet.
     *
     * @return the session, or empty if it does not exist, has expired or was invalidated
     * @throws SessionStoreUnavailableException if the store cannot answer in time
     */
    Optional<SessionRecord> load(SessionId id);

    /**
     * Applies one request's changes atomically with respect to other saves of the same session.
     *
     * <p>A change set that does not create a session never brings back one that is gone: saving it
     * after the session was invalidated, expired or renamed writes nothing and returns {@link
     * SaveOutcome#GONE}.
     *
     * @throws SessionLimitException if the change set creates a session and the store is full
     * @throws SessionStoreUnavailableException if the store cannot answer in time
     */
    SaveOutcome save(ChangeSet changes);

    /**
     * Deletes a session, as an administrator or "log out everywhere" does.
     *
     * @return true if a live session was deleted
     * @throws SessionStoreUnavailableException if the store cannot answer in time
     */
    boolean delete(SessionId id);

    /** Releases the store's resources. Idempotent. */
    @Override
    void close();

    /** What a {@link #save} did. */
    enum SaveOutcome {
        /** A new session was stored. */
        CREATED,
        /** An existing session was updated (or renamed). */
        UPDATED,
        /** The session was deleted because the change set invalidated it. */
        INVALIDATED,
        /** The session no longer exists; nothing was written. */
        GONE,
        /**
         * An expected attribute held another value, so nothing was written. Only a {@link
         * ConditionalSaveStore} returns this, and only for a change set with expectations.
         */
        CONFLICT
    }
}
