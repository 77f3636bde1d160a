package dev.satchel.spring.boot.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.satchel.core.ChangeSet;
import dev.satchel.core.PrincipalChange;
import dev.satchel.core.SessionId;
import dev.satchel.core.memory.MemorySessionStore;
import dev.satchel.servlet.SatchelFilter;
import dev.satchel.servlet.SatchelSessions;
import dev.satchel.servlet.SessionOptions;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.mock.web.MockFilterConfig;
import org.springframework.mock.web.MockHttpServletRequest;
import org.springframework.mock.web.MockHttpServletResponse;
import org.springframework.mock.web.MockServletContext;
import org.springframework.security.authentication.UsernamePasswordAuthenticationToken;
import org.springframework.security.core.Authentication;
import org.springframework.security.core.authority.AuthorityUtils;
import org.springframework.security.core.session.SessionInformation;
import org.springframework.security.core.userdetails.User;
import org.springframework.security.web.authentication.session.ConcurrentSessionControlAuthenticationStrategy;
import org.springframework.security.web.authentication.session.SessionAuthenticationException;
import org.springframework.web.context.request.RequestContextHolder;
import org.springframework.web.context.request.ServletRequestAttributes;

/**
 * Spring Security's own concurrency control over Satchel's registry, on a real filter and store: it
 * counts the sessions the store holds, refuses a login past the limit when told to, and otherwise
 * ends the least recently used session in the store.
 */
class SatchelSessionRegistryTest {
    private final MemorySessionStore store = MemorySessionStore.builder().build();
    private final MockServletContext servletContext = new MockServletContext();
    private final MockHttpServletRequest request = new MockHttpServletRequest(servletContext);
    private final SatchelSessionRegistry registry = new SatchelSessionRegistry();
    private final Instant now = Instant.now();
    private SessionId older;
    private SessionId newer;

    @BeforeEach
    void twoSessionsOfAlice() throws Exception {
        new SatchelFilter(store, SessionOptions.defaults()).init(new MockFilterConfig(servletContext));
        older = session("alice", now.minusSeconds(600));
        newer = session("alice", now.minusSeconds(60));
        session("bob", now.minusSeconds(900));
        RequestContextHolder.setRequestAttributes(new ServletRequestAttributes(request));
    }

    @AfterEach
    void leaveTheRequest() {
        RequestContextHolder.resetRequestAttributes();
        store.close();
    }

    private SessionId session(String user, Instant lastUsed) {
        SessionId id = SessionId.random();
        store.save(ChangeSet.builder(id, lastUsed, lastUsed.plus(Duration.ofHours(8)))
                .created()
                .accessedAt(lastUsed)
                .maxInactiveInterval(Duration.ofMinutes(30))
                .principal(PrincipalChange.to(user))
                .build());
        return id;
    }

    private static Authentication login(String user) {
        User principal = new User(user, "", AuthorityUtils.createAuthorityList("ROLE_USER"));
        return UsernamePasswordAuthenticationToken.authenticated(principal, null, principal.getAuthorities());
    }

    @Test
    void aUsersSessions_areTheStores_namedByHandleNotById() {
        List<SessionInformation> sessions =
                registry.getAllSessions(login("alice").getPrincipal(), false);
        assertThat(sessions)
                .extracting(SessionInformation::getSessionId)
                .containsExactlyInAnyOrder(
                        SatchelSessions.handleOf(older.value()), SatchelSessions.handleOf(newer.value()))
                .doesNotContain(older.value(), newer.value());
    }

    @Test
    void pastTheLimit_aLoginIsRefused_whenSoConfigured() {
        ConcurrentSessionControlAuthenticationStrategy limit =
                new ConcurrentSessionControlAuthenticationStrategy(registry);
        limit.setMaximumSessions(2);
        limit.setExceptionIfMaximumExceeded(true);
        assertThatThrownBy(() -> limit.onAuthentication(login("alice"), request, new MockHttpServletResponse()))
                .isInstanceOf(SessionAuthenticationException.class);
        assertThat(store.load(older)).isPresent();
        limit.onAuthentication(login("bob"), request, new MockHttpServletResponse()); // one of two
    }

    @Test
    void pastTheLimit_theLeastRecentlyUsedSessionEndsInTheStore() {
        ConcurrentSessionControlAuthenticationStrategy limit =
                new ConcurrentSessionControlAuthenticationStrategy(registry);
        limit.setMaximumSessions(2);
        limit.onAuthentication(login("alice"), request, new MockHttpServletResponse());
        assertThat(store.load(older)).as("the older session ended").isEmpty();
        assertThat(store.load(newer)).isPresent();
        assertThat(store.findByPrincipal("bob")).hasSize(1);
    }

    @Test
    void outsideARequest_itSaysSo() {
        RequestContextHolder.resetRequestAttributes();
        assertThatThrownBy(() -> registry.getAllSessions("alice", false))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("outside a request");
    }
}
