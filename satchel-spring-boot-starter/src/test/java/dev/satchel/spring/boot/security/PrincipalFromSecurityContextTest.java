package dev.satchel.spring.boot.security;

import static org.assertj.core.api.Assertions.assertThat;

import dev.satchel.servlet.SatchelSessions;
import jakarta.servlet.http.HttpSessionBindingEvent;
import org.junit.jupiter.api.Test;
import org.springframework.mock.web.MockHttpSession;
import org.springframework.security.authentication.AnonymousAuthenticationToken;
import org.springframework.security.authentication.UsernamePasswordAuthenticationToken;
import org.springframework.security.core.authority.AuthorityUtils;
import org.springframework.security.core.context.SecurityContextImpl;

/** The principal attribute follows the SecurityContext a session holds, under any key. */
class PrincipalFromSecurityContextTest {
    private final PrincipalFromSecurityContext listener = new PrincipalFromSecurityContext();
    private final MockHttpSession session = new MockHttpSession();

    private void set(String name, Object value) {
        Object old = session.getAttribute(name);
        session.setAttribute(name, value);
        HttpSessionBindingEvent event = new HttpSessionBindingEvent(session, name, old == null ? value : old);
        if (old == null) {
            listener.attributeAdded(event);
        } else {
            listener.attributeReplaced(event);
        }
    }

    private static SecurityContextImpl signedIn(String name) {
        return new SecurityContextImpl(UsernamePasswordAuthenticationToken.authenticated(
                name, null, AuthorityUtils.createAuthorityList("ROLE_USER")));
    }

    private Object principal() {
        return session.getAttribute(SatchelSessions.PRINCIPAL_ATTRIBUTE);
    }

    @Test
    void aLogin_indexesTheSession_aNewUserReindexesIt_andAnonymousClearsIt() {
        set("SPRING_SECURITY_CONTEXT", signedIn("alice"));
        assertThat(principal()).isEqualTo("alice");
        set("SPRING_SECURITY_CONTEXT", signedIn("bob"));
        assertThat(principal())
                .as("the replacement's new value, not the event's old one")
                .isEqualTo("bob");
        set(
                "SPRING_SECURITY_CONTEXT",
                new SecurityContextImpl(new AnonymousAuthenticationToken(
                        "key", "anonymousUser", AuthorityUtils.createAuthorityList("ROLE_ANONYMOUS"))));
        assertThat(principal()).isNull();
    }

    @Test
    void removingTheContext_clearsTheIndex_underAnyKey() {
        set("my.context", signedIn("alice"));
        assertThat(principal()).isEqualTo("alice");
        Object old = session.getAttribute("my.context");
        session.removeAttribute("my.context");
        listener.attributeRemoved(new HttpSessionBindingEvent(session, "my.context", old));
        assertThat(principal()).isNull();
    }

    @Test
    void otherAttributes_leaveTheIndexAlone() {
        set("SPRING_SECURITY_CONTEXT", signedIn("alice"));
        set("cart", "tea");
        listener.attributeRemoved(new HttpSessionBindingEvent(session, "cart", "tea"));
        assertThat(principal()).isEqualTo("alice");
    }
}
