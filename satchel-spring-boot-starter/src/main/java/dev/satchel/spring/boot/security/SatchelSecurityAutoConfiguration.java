package dev.satchel.spring.boot.security;

import dev.satchel.servlet.SatchelFilter;
import dev.satchel.spring.boot.SatchelAutoConfiguration;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication;
import org.springframework.context.annotation.Bean;
import org.springframework.security.core.session.SessionRegistry;

/**
 * With Spring Security on the class path: the store's principal index follows its logins ({@link
 * PrincipalFromSecurityContext}), and a {@link SessionRegistry} on that index ({@link
 * SatchelSessionRegistry}) unless the application has one, for {@code maximumSessions} across the
 * cluster. What Spring Security keeps in the session is encoded by {@link SatchelAutoConfiguration}'s
 * codec.
 */
@AutoConfiguration(after = SatchelAutoConfiguration.class)
@ConditionalOnWebApplication(type = ConditionalOnWebApplication.Type.SERVLET)
@ConditionalOnClass({SatchelFilter.class, SessionRegistry.class})
@ConditionalOnProperty(prefix = "satchel", name = "enabled", havingValue = "true", matchIfMissing = true)
public class SatchelSecurityAutoConfiguration {

    /** Indexes each session under the name of the user Spring Security signed in to it. */
    @Bean
    PrincipalFromSecurityContext satchelPrincipalFromSecurityContext() {
        return new PrincipalFromSecurityContext();
    }

    /** Spring Security's session registry, read from the store. */
    @Bean
    @ConditionalOnMissingBean(SessionRegistry.class)
    SatchelSessionRegistry satchelSessionRegistry() {
        return new SatchelSessionRegistry();
    }
}
