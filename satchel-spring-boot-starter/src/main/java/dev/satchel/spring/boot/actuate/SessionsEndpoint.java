package dev.satchel.spring.boot.actuate;

import dev.satchel.servlet.SatchelSessions;
import dev.satchel.servlet.SessionInfo;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.springframework.boot.actuate.endpoint.annotation.DeleteOperation;
import org.springframework.boot.actuate.endpoint.annotation.Endpoint;
import org.springframework.boot.actuate.endpoint.annotation.ReadOperation;
import org.springframework.boot.actuate.endpoint.annotation.Selector;
import org.springframework.web.context.WebApplicationContext;

/**
 * Actuator's {@code sessions} endpoint over Satchel's principal index, on every node that shares
 * the store: {@code GET /actuator/sessions?username=alice} lists alice's sessions, {@code DELETE
 * /actuator/sessions?username=alice} ends them all, and {@code DELETE
 * /actuator/sessions/{handle}?username=alice} ends one. Sessions are named by their {@link
 * SatchelSessions#handleOf handles}: an id is a credential and never leaves the store, and no
 * attribute is shown. Like every endpoint but health, it is exposed only when the application
 * says so ({@code management.endpoints.web.exposure.include}), and belongs behind an
 * administrator's login.
 */
@Endpoint(id = "sessions")
public final class SessionsEndpoint {
    private final WebApplicationContext context;

    /** The endpoint for the SatchelFilter of {@code context}. */
    public SessionsEndpoint(WebApplicationContext context) {
        this.context = Objects.requireNonNull(context, "context");
    }

    /** A session as the endpoint shows it. */
    public record Session(String handle, Instant createdAt, Instant lastAccessedAt, Instant expiresAt) {}

    /** The sessions of {@code username}. */
    @ReadOperation
    public Map<String, List<Session>> sessionsOf(String username) {
        List<Session> sessions = sessions().summariesOf(username).stream()
                .map(SessionsEndpoint::shown)
                .toList();
        return Map.of("sessions", sessions);
    }

    /** Ends every session of {@code username}. */
    @DeleteOperation
    public Map<String, Integer> endAll(String username) {
        return Map.of("ended", sessions().invalidateAll(username));
    }

    /** Ends the session of {@code username} named {@code handle}. */
    @DeleteOperation
    public Map<String, Boolean> end(@Selector String handle, String username) {
        return Map.of("ended", sessions().invalidate(username, handle));
    }

    private static Session shown(SessionInfo info) {
        return new Session(info.handle(), info.createdAt(), info.lastAccessedAt(), info.expiresAt());
    }

    private SatchelSessions sessions() {
        SatchelSessions sessions = SatchelSessions.of(
                        Objects.requireNonNull(context.getServletContext(), "the web server has not started"))
                .orElseThrow(() -> new IllegalStateException("Satchel's filter has not started"));
        if (!sessions.supportsPrincipalIndex()) {
            throw new UnsupportedOperationException("this store keeps no index of sessions by user");
        }
        return sessions;
    }
}
