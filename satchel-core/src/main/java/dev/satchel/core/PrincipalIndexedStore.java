package dev.satchel.core;

import java.util.List;

/**
 * A store that can list the sessions of one principal, for "log out everywhere" and for showing a
 * user where they are signed in. Thread-safe.
 */
public interface PrincipalIndexedStore extends SessionStore {

    /**
     * Returns the live sessions that belong to {@code principal}, in no particular order.
     *
     * @throws SessionStoreUnavailableException if the store cannot answer in time
     */
    List<SessionRecord> findByPrincipal(String principal);
}
