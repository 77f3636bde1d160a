package dev.satchel.sample;

import dev.satchel.spring.boot.security.LogOutEverywhere;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.http.HttpMethod;
import org.springframework.security.config.Customizer;
import org.springframework.security.config.annotation.web.builders.HttpSecurity;
import org.springframework.security.core.authority.AuthorityUtils;
import org.springframework.security.core.session.SessionRegistry;
import org.springframework.security.core.userdetails.User;
import org.springframework.security.core.userdetails.UserDetailsService;
import org.springframework.security.crypto.factory.PasswordEncoderFactories;
import org.springframework.security.crypto.password.PasswordEncoder;
import org.springframework.security.provisioning.InMemoryUserDetailsManager;
import org.springframework.security.web.SecurityFilterChain;
import org.springframework.security.web.authentication.logout.LogoutFilter;
import org.springframework.security.web.authentication.logout.SecurityContextLogoutHandler;
import org.springframework.security.web.authentication.session.SessionLimit;
import org.springframework.security.web.servlet.util.matcher.PathPatternRequestMatcher;

/**
 * Form login, at most {@code sample.maximum-sessions} sessions per customer and {@code
 * sample.staff-maximum-sessions} per member of staff across every instance (the oldest ends when a
 * user signs in past the limit), logout of this session, and logout of all of a
 * user's sessions. Actuator's health is public; its other endpoints (metrics for Prometheus, a
 * user's sessions) are for staff. The session registry is Satchel's, from the starter: it counts the sessions in
 * the store, not in this JVM.
 */
@Configuration
class SecurityConfiguration {

    @Bean
    SecurityFilterChain pages(
            HttpSecurity http,
            SessionRegistry sessionRegistry,
            @Value("${sample.maximum-sessions:1}") int customerSessions,
            @Value("${sample.staff-maximum-sessions:3}") int staffSessions)
            throws Exception {
        SessionLimit limit =
                user -> AuthorityUtils.authorityListToSet(user.getAuthorities()).contains("ROLE_STAFF")
                        ? staffSessions
                        : customerSessions;
        LogoutFilter everywhere =
                new LogoutFilter("/login?logout", new LogOutEverywhere(), new SecurityContextLogoutHandler());
        everywhere.setLogoutRequestMatcher(
                PathPatternRequestMatcher.withDefaults().matcher(HttpMethod.POST, "/logout-everywhere"));
        return http.authorizeHttpRequests(pages -> pages.requestMatchers("/actuator/health")
                        .permitAll()
                        .requestMatchers("/actuator/**")
                        .hasRole("STAFF")
                        .anyRequest()
                        .authenticated())
                .formLogin(Customizer.withDefaults())
                .logout(Customizer.withDefaults())
                .sessionManagement(sessions -> sessions.sessionConcurrency(
                        concurrency -> concurrency.maximumSessions(limit).sessionRegistry(sessionRegistry)))
                .addFilterBefore(everywhere, LogoutFilter.class)
                .build();
    }

    /**
     * Two customers, alice and bob, and carol of the staff, with the password {@code
     * sample.password}, hashed with bcrypt.
     */
    @Bean
    UserDetailsService users(@Value("${sample.password}") String password) {
        PasswordEncoder encoder = PasswordEncoderFactories.createDelegatingPasswordEncoder();
        String hash = encoder.encode(password);
        return new InMemoryUserDetailsManager(
                User.withUsername("alice").password(hash).roles("USER").build(),
                User.withUsername("bob").password(hash).roles("USER").build(),
                User.withUsername("carol").password(hash).roles("USER", "STAFF").build());
    }
}
