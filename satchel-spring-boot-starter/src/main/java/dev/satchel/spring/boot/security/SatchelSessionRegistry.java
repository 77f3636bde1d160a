package dev.satchel.spring.boot.security;

import dev.satchel.servlet.SatchelSessions;
import dev.satchel.servlet.SessionInfo;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpSession;
import java.security.Principal;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import org.springframework.security.core.AuthenticatedPrincipal;
import org.springframework.security.core.session.SessionInformation;
import org.springframework.security.core.session.SessionRegistry;
import org.springframework.security.core.userdetails.UserDetails;
import org.springframework.web.context.request.RequestContextHolder;
import org.springframework.web.context.request.ServletRequestAttributes;

/**
 * Spring Security's {@link SessionRegistry} read from Satchel's principal index in the store, so
 * that {@code maximumSessions(n)} counts a user's sessions on every node that shares the store,
 * not on one. Spring Security's own registry keeps them in one JVM's memory.
 *
 * <ul>
 *   <li>A session belongs to a user once {@link PrincipalFromSecurityContext} has indexed it,
 *       which happens when Spring Security saves the login's context: {@link #registerNewSession}
 *       has nothing to do.
 *   <li>Expiring a session ({@link SessionInformation#expireNow()}, which Spring Security calls on
 *       the oldest when a user signs in past the limit) ends it in the store at once, on every
 *       node; its next request finds no session and is asked to sign in again.
 *   <li>Another session's id is a credential and never leaves the store: the sessions are named
 *       by {@link SatchelSessions#handleOf handles}, except the current request's own, named by its
 *       id, as Spring Security looks for it.
 *   <li>{@link #getAllPrincipals()} is not offered: the index finds a user's sessions, it does not
 *       list users.
 * </ul>
 *
 * Thread-safe.
 */
public final class SatchelSessionRegistry implements SessionRegistry {

    /**
     * A registry for the sessions of the {@code SatchelFilter} that serves the current request: it
     * is asked only while Spring Security handles one.
     */
    public SatchelSessionRegistry() {}

    @Override
    public List<Object> getAllPrincipals() {
        throw new UnsupportedOperationException(
                "Satchel's principal index finds the sessions of a user; it does not list every user");
    }

    @Override
    public List<SessionInformation> getAllSessions(Object principal, boolean includeExpiredSessions) {
        String name = nameOf(principal);
        HttpServletRequest request = currentRequest();
        SatchelSessions sessions = sessionsServing(request);
        HttpSession session = request.getSession(false);
        Optional<String> current = session == null ? Optional.empty() : Optional.of(session.getId());
        String currentHandle = current.map(SatchelSessions::handleOf).orElse("");
        List<SessionInformation> infos = new ArrayList<>();
        for (SessionInfo info : sessions.summariesOf(name)) {
            boolean mine = info.handle().equals(currentHandle);
            // The store records accesses coarsely; the session of this very request is the most
            // recently used, and must never be the "oldest" a limit ends.
            Date lastRequest = Date.from(mine ? Instant.now() : info.lastAccessedAt());
            infos.add(new StoreSessionInformation(
                    principal, mine ? current.get() : info.handle(), lastRequest, sessions, name, info.handle()));
        }
        return infos;
    }

    /**
     * Not known by id: the store is asked by user. Spring Security's concurrency filter then lets
     * the request through, and an expired session has already ended in the store.
     */
    @Override
    public SessionInformation getSessionInformation(String sessionId) {
        return null;
    }

    /** The store records every request's access itself. */
    @Override
    public void refreshLastRequest(String sessionId) {}

    /** The session is indexed when its login's SecurityContext is saved. */
    @Override
    public void registerNewSession(String sessionId, Object principal) {}

    /** A session leaves the index when it ends in the store. */
    @Override
    public void removeSessionInformation(String sessionId) {}

    private static HttpServletRequest currentRequest() {
        if (RequestContextHolder.getRequestAttributes() instanceof ServletRequestAttributes servlet) {
            return servlet.getRequest();
        }
        throw new IllegalStateException("Satchel's session registry is asked outside a request");
    }

    private static SatchelSessions sessionsServing(HttpServletRequest request) {
        SatchelSessions sessions = SatchelSessions.of(request.getServletContext())
                .orElseThrow(() -> new IllegalStateException(
                        "no SatchelFilter has started in this application: Satchel's session registry needs it"));
        if (!sessions.supportsPrincipalIndex()) {
            throw new IllegalStateException("satchel.store keeps no index of sessions by user (sealed cookies do"
                    + " not), so a limit on sessions per user cannot be kept; choose a store that does");
        }
        return sessions;
    }

    /** The principal's name as Spring Security's {@code Authentication.getName()} gives it. */
    static String nameOf(Object principal) {
        Objects.requireNonNull(principal, "principal");
        if (principal instanceof UserDetails user) {
            return user.getUsername();
        }
        if (principal instanceof AuthenticatedPrincipal user) {
            return user.getName();
        }
        if (principal instanceof Principal user) {
            return user.getName();
        }
        return principal.toString();
    }

    /** A session as the store holds it; expiring it ends it there. */
    private static final class StoreSessionInformation extends SessionInformation {
        private static final long serialVersionUID = 1L;
        private final transient SatchelSessions sessions;
        private final String name;
        private final String handle;

        StoreSessionInformation(
                Object principal,
                String sessionId,
                Date lastRequest,
                SatchelSessions sessions,
                String name,
                String handle) {
            super(principal, sessionId, lastRequest);
            this.sessions = sessions;
            this.name = name;
            this.handle = handle;
        }

        @Override
        public void expireNow() {
            super.expireNow();
            if (sessions != null) {
                sessions.invalidate(name, handle);
            }
        }
    }
}
