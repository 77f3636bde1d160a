package dev.satchel.spring.boot.security;

import dev.satchel.servlet.SatchelSessions;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import jakarta.servlet.http.HttpSession;
import org.springframework.security.core.Authentication;
import org.springframework.security.web.authentication.logout.LogoutHandler;

/**
 * A {@link LogoutHandler} that ends every session of the user who logs out, on every node that
 * shares the store, the current one included: "log out everywhere". Add it to a logout of its own,
 * beside the ordinary one, which ends only the current session.
 */
public final class LogOutEverywhere implements LogoutHandler {

    @Override
    public void logout(HttpServletRequest request, HttpServletResponse response, Authentication authentication) {
        if (authentication == null || authentication.getName() == null) {
            return; // nobody was signed in
        }
        SatchelSessions sessions = SatchelSessions.of(request.getServletContext())
                .orElseThrow(() -> new IllegalStateException(
                        "no SatchelFilter has started in this application: logging out everywhere needs it"));
        // This one first, as a logout ends it, so it ends once; then the others, in the store.
        HttpSession current = request.getSession(false);
        if (current != null) {
            current.invalidate();
        }
        sessions.invalidateAll(authentication.getName());
    }
}
