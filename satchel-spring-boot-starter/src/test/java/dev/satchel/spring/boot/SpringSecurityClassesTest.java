package dev.satchel.spring.boot;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.satchel.core.AttributeEncodingException;
import dev.satchel.core.codec.DefaultAttributeCodec;
import java.io.Serializable;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.springframework.mock.web.MockHttpServletRequest;
import org.springframework.security.authentication.BadCredentialsException;
import org.springframework.security.authentication.UsernamePasswordAuthenticationToken;
import org.springframework.security.core.authority.AuthorityUtils;
import org.springframework.security.core.context.SecurityContext;
import org.springframework.security.core.context.SecurityContextImpl;
import org.springframework.security.core.userdetails.User;
import org.springframework.security.web.authentication.WebAuthenticationDetails;
import org.springframework.security.web.csrf.DefaultCsrfToken;
import org.springframework.security.web.savedrequest.DefaultSavedRequest;

/**
 * What Spring Security keeps in a session goes through the starter's codec and comes back; what
 * its allowlist does not admit is refused when written, naming the class.
 */
class SpringSecurityClassesTest {
    private final DefaultAttributeCodec codec = DefaultAttributeCodec.builder()
            .javaSerialization(SpringSecurityClasses.ALLOWLIST)
            .build();

    private Object roundTrip(Object value) {
        return codec.decode("x", codec.encode("x", value));
    }

    @Test
    void aSignedInUsersSecurityContext_comesBack() {
        User user = new User("alice", "", AuthorityUtils.createAuthorityList("ROLE_USER", "ROLE_ADMIN"));
        UsernamePasswordAuthenticationToken login =
                UsernamePasswordAuthenticationToken.authenticated(user, null, user.getAuthorities());
        login.setDetails(new WebAuthenticationDetails("203.0.113.7", "old-session"));
        SecurityContext back = (SecurityContext) roundTrip(new SecurityContextImpl(login));
        assertThat(back.getAuthentication().getName()).isEqualTo("alice");
        assertThat(back.getAuthentication().isAuthenticated()).isTrue();
        assertThat(AuthorityUtils.authorityListToSet(back.getAuthentication().getAuthorities()))
                .containsExactlyInAnyOrder("ROLE_USER", "ROLE_ADMIN");
        assertThat(((WebAuthenticationDetails) back.getAuthentication().getDetails()).getRemoteAddress())
                .isEqualTo("203.0.113.7");
    }

    @Test
    void theRequestSavedForAfterTheLogin_theCsrfToken_andAFailedLogin_comeBack() {
        MockHttpServletRequest request = new MockHttpServletRequest("GET", "/cart");
        request.setQueryString("page=2");
        request.addParameter("page", "2");
        request.addHeader("Accept", "text/html");
        request.addPreferredLocale(java.util.Locale.FRANCE);
        DefaultSavedRequest saved = (DefaultSavedRequest) roundTrip(new DefaultSavedRequest(request));
        assertThat(saved.getRequestURI()).isEqualTo("/cart");
        assertThat(saved.getParameterValues("page")).containsExactly("2");
        assertThat(saved.getHeaderValues("accept")).containsExactly("text/html");

        DefaultCsrfToken token = (DefaultCsrfToken) roundTrip(new DefaultCsrfToken("X-CSRF-TOKEN", "_csrf", "t0k3n"));
        assertThat(token.getToken()).isEqualTo("t0k3n");

        BadCredentialsException failed =
                (BadCredentialsException) roundTrip(new BadCredentialsException("Bad credentials"));
        assertThat(failed.getMessage()).isEqualTo("Bad credentials");
    }

    /** A principal of the application's own: not Spring Security's, so not admitted unless listed. */
    record Member(String name) implements Serializable {}

    @Test
    void aContextHoldingAClassOfTheApplications_isRefusedOnWriting_namingIt() {
        UsernamePasswordAuthenticationToken login = UsernamePasswordAuthenticationToken.authenticated(
                new Member("carol"), null, AuthorityUtils.createAuthorityList("ROLE_USER"));
        assertThatThrownBy(() -> codec.encode("SPRING_SECURITY_CONTEXT", new SecurityContextImpl(login)))
                .isInstanceOf(AttributeEncodingException.class)
                .hasMessageContaining("holds " + Member.class.getName());

        DefaultAttributeCodec extended = DefaultAttributeCodec.builder()
                .javaSerialization(SpringSecurityClasses.ALLOWLIST + ";" + Member.class.getName())
                .build();
        SecurityContext back =
                (SecurityContext) extended.decode("c", extended.encode("c", new SecurityContextImpl(login)));
        assertThat(back.getAuthentication().getPrincipal()).isEqualTo(new Member("carol"));
    }

    @Test
    void plainValues_stillTakeTheirOwnEncodings() {
        byte[] encoded = codec.encode("cart", List.of("tea", "cups"));
        assertThat(codec.decode("cart", encoded)).isEqualTo(List.of("tea", "cups"));
        assertThat(encoded[0]).isNotEqualTo(codec.encode("x", new DefaultCsrfToken("h", "p", "t"))[0]);
    }
}
