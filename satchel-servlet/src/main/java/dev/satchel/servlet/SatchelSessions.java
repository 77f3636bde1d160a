package dev.satchel.servlet;

import dev.satchel.core.PrincipalIndexedStore;
import dev.satchel.core.SessionDataException;
import dev.satchel.core.SessionId;
import dev.satchel.core.SessionRecord;
import jakarta.servlet.ServletContext;
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
                SatchelHttpSession.detached(runtime, r).ended();
                ended++;
            }
        }
        return ended;
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
