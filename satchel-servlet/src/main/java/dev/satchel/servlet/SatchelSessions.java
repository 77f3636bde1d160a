package dev.satchel.servlet;

import dev.satchel.core.ConditionalSaveStore;
import dev.satchel.core.PrincipalIndexedStore;
import dev.satchel.core.SessionDataException;
import dev.satchel.core.SessionId;
import dev.satchel.core.SessionRecord;
import jakarta.servlet.ServletContext;
import jakarta.servlet.http.HttpSession;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Function;

/**
 * What an application can do with sessions other than the current one: list a user's sessions and
 * end them all ("log out everywhere"). The filter publishes one instance in the servlet context.
 *
 * <p>A session belongs to a user once the application sets {@link #PRINCIPAL_ATTRIBUTE} to the
 * user's name. Thread-safe.
 */
public final class SatchelSessions {

    /** The servlet-context attribute under which the filter publishes this object. */
    public static final String ATTRIBUTE = SatchelSessions.class.getName();

    /** The session attribute naming the session's user (a String); stores index it. */
    public static final String PRINCIPAL_ATTRIBUTE = "satchel.principal";

    private final SessionFilterRuntime runtime;

    SatchelSessions(SessionFilterRuntime runtime) {
        this.runtime = runtime;
    }

    /**
     * Changes one attribute of {@code session} atomically, for values that parallel requests of one
     * user change together (a cart that two tabs add to): reads the attribute as the store holds
     * it now, applies {@code change}, and writes the result only if no other request changed that
     * attribute in between; otherwise reads the newer value and applies {@code change} again. So
     * {@code change} is the merge rule, and must be free of side effects: it may run more than once.
     *
     * <pre>{@code
     * Cart cart = SatchelSessions.update(request.getSession(), "cart", Cart.class,
     *         current -> current.orElseGet(Cart::new).add(sku, quantity));
     * }</pre>
     *
     * <p>Use {@code setAttribute} for values only one request at a time changes (a user's
     * preferences, a wizard's step): it costs nothing extra, and the last writer wins. An update
     * costs a read and a conditional write at once, in the store; the request's other changes are
     * saved first, so the update sees them. Updates are atomic with respect to each other; a plain
     * {@code setAttribute} of the same attribute in another request still replaces it, and so does a
     * request that merely reads it under {@link SaveMode#ON_GET_ATTRIBUTE} or {@link
     * SaveMode#ALWAYS}, which write back what they read: keep the default {@link
     * SaveMode#ON_SET_ATTRIBUTE} for attributes you update. A value that no longer decodes (after a
     * deploy) is updated as if absent.
     *
     * <p>The stores that do this are memory, Redis (inside its one save script), SQL (one
     * transaction on the session's row lock), primary-backup (the session's owner decides) and
     * replicated (the session's first-ranked node decides). Sealed cookies cannot: each request
     * carries its own copy.
     *
     * @param change given the current value (empty if there is none), returns the new value;
     *     never null
     * @return the value written
     * @throws AttributeUpdateConflictException if the attribute changed at every one of 8 attempts;
     *     nothing was written (the filter answers 409 if it is not caught)
     * @throws UnsupportedOperationException if the store cannot make conditional saves (sealed
     *     cookies)
     * @throws SessionEndedException if another request ended or renamed the session meanwhile;
     *     nothing was written (the filter answers 409 {@code session_ended} if it is not caught)
     * @throws IllegalStateException if the session was invalidated in this request, or if {@code
     *     change} itself calls {@code update}
     * @throws IllegalArgumentException if {@code session} is not one of Satchel's, the attribute
     *     holds another type, or the value cannot be stored
     * @throws dev.satchel.core.SessionStoreUnavailableException if the store does not answer
     */
    public static <T> T update(HttpSession session, String name, Class<T> type, Function<Optional<T>, T> change) {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(change, "change");
        if (!(session instanceof SatchelHttpSession satchel)) {
            throw new IllegalArgumentException("not a session of SatchelFilter's: "
                    + (session == null ? "null" : session.getClass().getName()));
        }
        return satchel.update(name, type, change);
    }

    /**
     * Counters of atomic updates since the filter started: {@code atomic_updates} (applied),
     * {@code atomic_update_retries} (attempts that found the attribute changed and tried again),
     * {@code atomic_update_conflicts} (updates that gave up, answered 409), and {@code
     * atomic_update_retries.NAME} and {@code atomic_update_conflicts.NAME} per attribute.
     */
    public Map<String, Long> counters() {
        return runtime.updates().snapshot();
    }

    /**
     * Whether {@link #update} can change an attribute of a stored session here: false for sealed
     * cookies and for stores that cannot make conditional saves, where an application falls back
     * to {@code setAttribute}.
     */
    public boolean supportsAtomicUpdates() {
        return runtime.sealer().isEmpty() && runtime.store() instanceof ConditionalSaveStore;
    }

    /** Finds the instance the filter published in {@code context}. */
    public static Optional<SatchelSessions> of(ServletContext context) {
        return Optional.ofNullable((SatchelSessions) context.getAttribute(ATTRIBUTE));
    }

    /** Whether the store can list sessions by user; without it the other methods throw. */
    public boolean supportsPrincipalIndex() {
        return runtime.store() instanceof PrincipalIndexedStore;
    }

    /**
     * Lists the live sessions of {@code principal}.
     *
     * @throws UnsupportedOperationException if the store keeps no principal index
     */
    public List<SessionInfo> sessionsOf(String principal) {
        Objects.requireNonNull(principal, "principal");
        List<SessionInfo> infos = new ArrayList<>();
        for (SessionRecord r : indexed().findByPrincipal(principal)) {
            infos.add(new SessionInfo(
                    handleOf(r.id().value()), r.createdAt(), r.lastAccessedAt(), r.expiresAt(), decode(r)));
        }
        return infos;
    }

    /**
     * As {@link #sessionsOf}, without the attributes: nothing is decoded, so it costs a store read
     * and no deserialization however much the sessions hold (counting a user's sessions at each
     * login, listing them for an administrator).
     *
     * @throws UnsupportedOperationException if the store keeps no principal index
     */
    public List<SessionInfo> summariesOf(String principal) {
        Objects.requireNonNull(principal, "principal");
        List<SessionInfo> infos = new ArrayList<>();
        for (SessionRecord r : indexed().findByPrincipal(principal)) {
            infos.add(new SessionInfo(
                    handleOf(r.id().value()), r.createdAt(), r.lastAccessedAt(), r.expiresAt(), Map.of()));
        }
        return infos;
    }

    /**
     * Ends every session of {@code principal}, on every node that shares the store.
     *
     * @return how many sessions ended
     * @throws UnsupportedOperationException if the store keeps no principal index
     */
    public int invalidateAll(String principal) {
        Objects.requireNonNull(principal, "principal");
        if (runtime.sealer().isPresent()) {
            // Sealed sessions live with their clients, uncounted; all sealed until now are refused.
            runtime.sealer().get().revokeAll(principal);
            return 0;
        }
        int ended = 0;
        for (SessionRecord r : indexed().findByPrincipal(principal)) {
            if (runtime.store().delete(r.id())) {
                runtime.options().metrics().invalidated();
                SatchelHttpSession.detached(runtime, r).ended();
                ended++;
            }
        }
        return ended;
    }

    /**
     * Ends the one session of {@code principal} that {@link #handleOf} names {@code handle}, on
     * every node that shares the store: "sign out that device", or the oldest session when a user
     * has too many. A handle of another user's session ends nothing.
     *
     * @return whether a session ended
     * @throws UnsupportedOperationException if the store keeps no principal index, or the sessions
     *     are sealed cookies (which can only be revoked all at once, {@link #invalidateAll})
     */
    public boolean invalidate(String principal, String handle) {
        Objects.requireNonNull(principal, "principal");
        Objects.requireNonNull(handle, "handle");
        if (runtime.sealer().isPresent()) {
            throw new UnsupportedOperationException("sealed sessions cannot be ended one by one; use invalidateAll");
        }
        for (SessionRecord r : indexed().findByPrincipal(principal)) {
            if (handleOf(r.id().value()).equals(handle) && runtime.store().delete(r.id())) {
                runtime.options().metrics().invalidated();
                SatchelHttpSession.detached(runtime, r).ended();
                return true;
            }
        }
        return false;
    }

    /**
     * A short, stable, non-secret name for a session, safe to show and to log: the first 12
     * characters of the SHA-256 of its id. Another user's session id is a credential; this is not.
     */
    public static String handleOf(String sessionId) {
        String id = SessionId.parse(sessionId).map(SessionId::value).orElse(sessionId);
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(id.getBytes(StandardCharsets.US_ASCII));
            return Base64.getUrlEncoder()
                    .withoutPadding()
                    .encodeToString(digest)
                    .substring(0, 12);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required of every JVM", e);
        }
    }

    private PrincipalIndexedStore indexed() {
        if (runtime.store() instanceof PrincipalIndexedStore indexed) {
            return indexed;
        }
        throw new UnsupportedOperationException(
                runtime.store().getClass().getSimpleName() + " keeps no principal index");
    }

    private Map<String, Object> decode(SessionRecord r) {
        Map<String, Object> values = new HashMap<>();
        r.attributes().forEach((name, bytes) -> {
            try {
                values.put(name, runtime.options().codec().decode(name, bytes));
            } catch (SessionDataException e) {
                // Listed without it; the owning request drops it on its next load.
            }
        });
        return values;
    }
}
