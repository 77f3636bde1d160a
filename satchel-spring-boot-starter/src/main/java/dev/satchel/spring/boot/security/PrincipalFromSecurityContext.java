package dev.satchel.spring.boot.security;

import dev.satchel.servlet.SatchelSessions;
import jakarta.servlet.http.HttpSession;
import jakarta.servlet.http.HttpSessionAttributeListener;
import jakarta.servlet.http.HttpSessionBindingEvent;
import org.springframework.security.authentication.AnonymousAuthenticationToken;
import org.springframework.security.core.Authentication;
import org.springframework.security.core.context.SecurityContext;

/**
 * Keeps {@link SatchelSessions#PRINCIPAL_ATTRIBUTE} equal to the name of the user Spring Security
 * signed in to the session, so that the store's principal index (which {@link
 * SatchelSessionRegistry}, "log out everywhere" and the sessions endpoint read) follows every login,
 * change of user and logout without the application setting it. It watches whatever attribute
 * holds a {@link SecurityContext}, under any key.
 */
public final class PrincipalFromSecurityContext implements HttpSessionAttributeListener {

    @Override
    public void attributeAdded(HttpSessionBindingEvent event) {
        follow(event);
    }

    @Override
    public void attributeReplaced(HttpSessionBindingEvent event) {
        follow(event);
    }

    @Override
    public void attributeRemoved(HttpSessionBindingEvent event) {
        if (event.getValue() instanceof SecurityContext) {
            try {
                event.getSession().removeAttribute(SatchelSessions.PRINCIPAL_ATTRIBUTE);
            } catch (IllegalStateException ending) {
                // The session is being invalidated, and leaves the index as it ends.
            }
        }
    }

    private static void follow(HttpSessionBindingEvent event) {
        if (SatchelSessions.PRINCIPAL_ATTRIBUTE.equals(event.getName())) {
            return;
        }
        HttpSession session = event.getSession();
        // On a replacement the event carries the old value; the session holds the new one.
        if (!(session.getAttribute(event.getName()) instanceof SecurityContext context)) {
            return;
        }
        Authentication user = context.getAuthentication();
        Object indexed = session.getAttribute(SatchelSessions.PRINCIPAL_ATTRIBUTE);
        if (user == null
                || !user.isAuthenticated()
                || user instanceof AnonymousAuthenticationToken
                || user.getName() == null
                || user.getName().isBlank()) {
            if (indexed != null) {
                session.removeAttribute(SatchelSessions.PRINCIPAL_ATTRIBUTE);
            }
        } else if (!user.getName().equals(indexed)) {
            session.setAttribute(SatchelSessions.PRINCIPAL_ATTRIBUTE, user.getName());
        }
    }
}
