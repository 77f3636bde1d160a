package dev.satchel.core;

import java.util.List;
import java.util.Optional;

/**
 * Sessions kept by the client instead of a store: the whole record travels sealed (encrypted and
 * authenticated) in one or more cookie values, and any node can open it. The servlet filter uses
 * it in place of a {@link SessionStore}; {@code satchel-cookie} implements it.
 *
 * <p>Implementations are thread-safe. Without a server-side revocation record, a sealed session
 * cannot be ended before its deadlines: an old copy replays until then.
 */
public interface SessionSealer {

    /**
     * Opens what a client sent, the values of its session cookies in order.
     *
     * @return the session, or empty if there is none, or it is malformed, tampered with, truncated,
     *     sealed for another purpose or with a retired key, expired, or revoked
     */
    Optional<SessionRecord> open(List<String> values);

    /**
     * Seals a session into cookie values, as few as fit.
     *
     * @throws SessionTooLargeException if it does not fit in the cookies allowed
     */
    List<String> seal(SessionRecord record);

    /** Ends one session now: its sealed copies are refused from now on (until its deadline). */
    void revoke(SessionRecord record);

    /** Ends every session of {@code principal} sealed until now ("log out everywhere"). */
    void revokeAll(String principal);
}
