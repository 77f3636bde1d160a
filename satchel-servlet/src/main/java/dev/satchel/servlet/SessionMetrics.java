package dev.satchel.servlet;

/**
 * What the filter reports as it works, for a metrics system: each call to the store and how long
 * it took, sessions created, invalidated and expired, requests refused and why, and attribute
 * values that no longer decode. {@link MicrometerSessionMetrics} records them with Micrometer; the
 * default records nothing. Called on request threads (and, for expiries, the store's): must be
 * quick and must not throw.
 */
public interface SessionMetrics {

    /** What a request asked of the store. */
    enum StoreCall {
        /** Read a session by id. */
        LOAD,
        /** Wrote what a request changed, or an invalidation. */
        SAVE
    }

    /** Why the filter answered a request itself instead of letting it through. */
    enum Refusal {
        /** The store did not answer (503). */
        STORE_UNAVAILABLE,
        /** The store holds as many sessions as it may (503). */
        SESSION_LIMIT,
        /** One client made too many new sessions (429). */
        NEW_SESSIONS_THROTTLED,
        /** The session did not fit in its cookies (500). */
        TOO_LARGE,
        /** An atomic update met a change at every try (409). */
        UPDATE_CONFLICT,
        /** Another request ended the session meanwhile (409). */
        SESSION_ENDED
    }

    /** Records nothing. */
    static SessionMetrics none() {
        return Nothing.INSTANCE;
    }

    /** A call to the store took {@code nanos}; {@code failed} if it threw. */
    default void storeCall(StoreCall call, long nanos, boolean failed) {}

    /** A request made a new session. */
    default void created() {}

    /** A session was invalidated: a logout, a log-out-everywhere, a new login's fresh session. */
    default void invalidated() {}

    /** The store reclaimed a session that reached its timeout, as this node's store saw it. */
    default void expired() {}

    /** The filter refused a request. */
    default void refused(Refusal why) {}

    /** A stored attribute value no longer decoded (a class gone after a deploy) and was dropped. */
    default void unreadableAttribute() {}

    /** The default. */
    enum Nothing implements SessionMetrics {
        INSTANCE
    }
}
