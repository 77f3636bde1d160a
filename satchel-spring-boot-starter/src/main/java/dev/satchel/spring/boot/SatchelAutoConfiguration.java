package dev.satchel.spring.boot;

import dev.satchel.cookie.RevocationList;
import dev.satchel.cookie.SealedCookieSessions;
import dev.satchel.core.SessionSealer;
import dev.satchel.core.SessionStore;
import dev.satchel.core.codec.AttributeCodec;
import dev.satchel.core.codec.DefaultAttributeCodec;
import dev.satchel.servlet.CookieSessionIdResolver;
import dev.satchel.servlet.HeaderSessionIdResolver;
import dev.satchel.servlet.MicrometerSessionMetrics;
import dev.satchel.servlet.SatchelFilter;
import dev.satchel.servlet.SessionMetrics;
import dev.satchel.servlet.SessionOptions;
import dev.satchel.spring.boot.security.AuthenticationFailureCodec;
import io.lettuce.core.resource.ClientResources;
import jakarta.servlet.DispatcherType;
import jakarta.servlet.http.HttpSessionAttributeListener;
import jakarta.servlet.http.HttpSessionIdListener;
import jakarta.servlet.http.HttpSessionListener;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Optional;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionOutcome;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication;
import org.springframework.boot.autoconfigure.condition.SpringBootCondition;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.web.servlet.FilterRegistrationBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.ConditionContext;
import org.springframework.context.annotation.Conditional;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.Ordered;
import org.springframework.core.type.AnnotatedTypeMetadata;
import org.springframework.util.ClassUtils;

/**
 * Gives a servlet application Satchel's sessions: a {@link SessionStore} from {@code
 * satchel.store} unless the application has one of its own (on the application's {@code
 * DataSource} for {@code jdbc}, and on its Lettuce {@code ClientResources}' threads for Redis when
 * it has them), {@link SessionOptions} from the other
 * {@code satchel.*} properties, and {@link SatchelFilter} registered ahead of Spring Security's
 * filters for every dispatcher type, asynchronous requests included. The session listeners in the
 * context ({@code HttpSessionListener}, {@code HttpSessionAttributeListener}, {@code
 * HttpSessionIdListener}) hear Satchel's sessions. A store that cannot be opened stops the
 * application at start-up with a reason.
 */
@AutoConfiguration(
        afterName = {
            "org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration",
            "org.springframework.boot.autoconfigure.jdbc.DataSourceAutoConfiguration"
        })
@ConditionalOnWebApplication(type = ConditionalOnWebApplication.Type.SERVLET)
@ConditionalOnClass(SatchelFilter.class)
@ConditionalOnProperty(prefix = "satchel", name = "enabled", havingValue = "true", matchIfMissing = true)
@EnableConfigurationProperties(SatchelProperties.class)
public class SatchelAutoConfiguration {
    /**
     * The filter's order: ahead of Spring Security's chain ({@code -100}) and of anything else that
     * reads the session, as Spring Session orders its own.
     */
    public static final int FILTER_ORDER = Ordered.HIGHEST_PRECEDENCE + 50;

    private static final Logger LOG = LoggerFactory.getLogger(SatchelAutoConfiguration.class);

    /** The store {@code satchel.store} names; absent for {@code cookie}, or when the application has its own. */
    @Bean
    @ConditionalOnMissingBean(SessionStore.class)
    @Conditional(StoreIsNotCookie.class)
    SessionStore satchelSessionStore(
            SatchelProperties properties,
            ObjectProvider<DataSource> dataSource,
            ObjectProvider<ClientResources> lettuce) {
        return SatchelStores.open(
                properties.store(),
                properties.cluster(),
                properties.redis(),
                Optional.ofNullable(dataSource.getIfUnique()),
                Optional.ofNullable(lettuce.getIfUnique()));
    }

    /** The sealer for {@code satchel.store=cookie}, with the key from the keyset file or the environment. */
    @Bean
    @ConditionalOnMissingBean({SessionStore.class, SessionSealer.class})
    @ConditionalOnProperty(prefix = "satchel", name = "store", havingValue = "cookie")
    SealedCookieSessions satchelSessionSealer(
            SatchelProperties properties,
            ObjectProvider<DataSource> dataSource,
            ObjectProvider<ClientResources> lettuce) {
        SatchelProperties.Sealed sealed = properties.sealed();
        SealedCookieSessions.Builder b =
                SealedCookieSessions.builder(properties.cookie().name());
        try {
            if (sealed.keysetLocation().isBlank()) {
                b.keysetFromEnvironment();
            } else {
                b.keysetFromFile(Path.of(sealed.keysetLocation()));
            }
        } catch (RuntimeException e) {
            throw new SatchelConfigurationException(
                    "Satchel's sealed cookies have no key: " + e.getMessage(),
                    "Set satchel.sealed.keyset-location to a keyset file, or the "
                            + SealedCookieSessions.KEYSET_VARIABLE
                            + " environment variable to a keyset (SealedCookieSessions.generateKeyset() makes one).",
                    e);
        }
        if (sealed.revocationStore().isBlank()) {
            LOG.warn("satchel.store=cookie without satchel.sealed.revocation-store: a client that kept a copy of"
                    + " its cookie can replay a session it logged out of, until the session's own timeouts");
        } else if (SatchelStores.isCookie(sealed.revocationStore())) {
            throw new SatchelConfigurationException(
                    "satchel.sealed.revocation-store cannot be cookie: the record of ended sessions must live"
                            + " on the server",
                    "Give it a store, such as redis://HOST:PORT or a JDBC URL.");
        } else {
            SessionStore record = SatchelStores.open(
                    sealed.revocationStore(),
                    properties.cluster(),
                    properties.redis(),
                    Optional.ofNullable(dataSource.getIfUnique()),
                    Optional.ofNullable(lettuce.getIfUnique()));
            b.revocations(new RevocationList(record, Clock.systemUTC(), properties.absoluteTimeout()));
        }
        try {
            return b.build();
        } catch (RuntimeException e) {
            throw new SatchelConfigurationException(
                    "Satchel's sealed cookies cannot start: " + e.getMessage(),
                    "Correct satchel.sealed.keyset-location or " + SealedCookieSessions.KEYSET_VARIABLE + ".",
                    e);
        }
    }

    /**
     * The attribute codec from {@code satchel.codec.*}; with Spring Security on the class path, its
     * own classes are admitted to Java serialization too (see {@link SpringSecurityClasses}).
     */
    @Bean
    @ConditionalOnMissingBean
    AttributeCodec satchelAttributeCodec(SatchelProperties properties) {
        SatchelProperties.Codec codec = properties.codec();
        DefaultAttributeCodec.Builder b = DefaultAttributeCodec.builder();
        ClassLoader loader = ClassUtils.getDefaultClassLoader();
        if (loader != null) {
            b.classLoader(loader);
        }
        b.recordPackages(codec.recordPackages().toArray(String[]::new));
        String allowlist = codec.javaSerialization().strip();
        boolean springSecurity = SpringSecurityClasses.present(loader);
        if (springSecurity) {
            allowlist = SpringSecurityClasses.ALLOWLIST + (allowlist.isEmpty() ? "" : ";" + allowlist);
        }
        try {
            if (!allowlist.isEmpty()) {
                b.javaSerialization(allowlist);
            }
            DefaultAttributeCodec built = b.build();
            return springSecurity ? new AuthenticationFailureCodec(built) : built;
        } catch (RuntimeException e) {
            throw new SatchelConfigurationException(
                    "satchel.codec.java-serialization is not a valid allowlist: " + e.getMessage(),
                    "Write it in ObjectInputFilter pattern syntax, such as com.example.cart.*;java.util.*",
                    e);
        }
    }

    /** The session options from the properties, with the context's session listeners. */
    @Bean
    @ConditionalOnMissingBean
    SessionOptions satchelSessionOptions(
            SatchelProperties properties,
            AttributeCodec codec,
            ObjectProvider<SessionMetrics> metrics,
            ObjectProvider<HttpSessionListener> sessionListeners,
            ObjectProvider<HttpSessionAttributeListener> attributeListeners,
            ObjectProvider<HttpSessionIdListener> idListeners) {
        SessionOptions.Builder b;
        try {
            b = SessionOptions.builder()
                    .idleTimeout(properties.idleTimeout())
                    .absoluteTimeout(properties.absoluteTimeout())
                    .saveMode(properties.saveMode())
                    .flushMode(properties.flushMode())
                    .codec(codec);
            b.idResolver(
                    properties.idResolver() == SatchelProperties.IdResolver.HEADER
                            ? new HeaderSessionIdResolver(properties.headerName())
                            : cookie(properties.cookie()));
        } catch (RuntimeException e) {
            throw new SatchelConfigurationException(
                    "Satchel's session settings are not valid: " + e.getMessage(),
                    "Correct the satchel.* property it names.",
                    e);
        }
        metrics.ifUnique(b::metrics);
        sessionListeners.orderedStream().forEach(b::listener);
        attributeListeners.orderedStream().forEach(b::listener);
        idListeners.orderedStream().forEach(b::listener);
        return b.build();
    }

    private static CookieSessionIdResolver cookie(SatchelProperties.Cookie cookie) {
        CookieSessionIdResolver.Builder b = CookieSessionIdResolver.builder()
                .name(cookie.name())
                .forceSecure(cookie.secure())
                .hostPrefix(cookie.hostPrefix())
                .sameSite(cookie.sameSite());
        if (!cookie.path().isBlank()) {
            b.path(cookie.path());
        }
        if (!cookie.domain().isBlank()) {
            b.domain(cookie.domain());
        }
        if (cookie.maxAge() != null) {
            b.maxAge(cookie.maxAge());
        }
        return b.build();
    }

    /** The filter, on every path and dispatcher type, ahead of Spring Security. */
    @Bean
    FilterRegistrationBean<SatchelFilter> satchelFilterRegistration(
            SessionOptions options, ObjectProvider<SessionStore> store, ObjectProvider<SessionSealer> sealer) {
        SessionStore ownStore = store.getIfUnique();
        SatchelFilter filter;
        if (ownStore != null) {
            filter = new SatchelFilter(ownStore, options);
        } else {
            SessionSealer s = sealer.getIfUnique();
            if (s == null) {
                throw new SatchelConfigurationException(
                        "Satchel found no single SessionStore bean and no sealer",
                        "Leave one SessionStore bean in the context, or none and set satchel.store.");
            }
            filter = SatchelFilter.sealed(s, options);
        }
        FilterRegistrationBean<SatchelFilter> registration = new FilterRegistrationBean<>(filter);
        registration.setName("satchelFilter");
        registration.setOrder(FILTER_ORDER);
        registration.setAsyncSupported(true);
        registration.setDispatcherTypes(
                DispatcherType.REQUEST,
                DispatcherType.ASYNC,
                DispatcherType.ERROR,
                DispatcherType.FORWARD,
                DispatcherType.INCLUDE);
        registration.addUrlPatterns("/*");
        return registration;
    }

    /**
     * With Micrometer and a {@code MeterRegistry} (Actuator gives one), the filter's metrics: see
     * {@link MicrometerSessionMetrics}, tagged with the kind of store, never its address.
     */
    @Configuration(proxyBeanMethods = false)
    @ConditionalOnClass(name = "io.micrometer.core.instrument.MeterRegistry")
    static class Metrics {
        /** None when the context has no single registry: nothing to report to. */
        @Bean
        @ConditionalOnMissingBean(SessionMetrics.class)
        SessionMetrics satchelSessionMetrics(
                ObjectProvider<io.micrometer.core.instrument.MeterRegistry> registries,
                ObjectProvider<SessionStore> store) {
            io.micrometer.core.instrument.MeterRegistry registry = registries.getIfUnique();
            if (registry == null) {
                return SessionMetrics.none();
            }
            SessionStore own = store.getIfUnique();
            if (own == null) {
                return new MicrometerSessionMetrics(registry, "cookie"); // sealed: no store
            }
            return new MicrometerSessionMetrics(registry, SatchelStores.kindOf(own)).bindStore(own);
        }
    }

    /** Matches unless {@code satchel.store} is {@code cookie}. */
    static final class StoreIsNotCookie extends SpringBootCondition {
        @Override
        public ConditionOutcome getMatchOutcome(ConditionContext context, AnnotatedTypeMetadata metadata) {
            String store = context.getEnvironment().getProperty("satchel.store", "memory");
            return SatchelStores.isCookie(store)
                    ? ConditionOutcome.noMatch("satchel.store is cookie")
                    : ConditionOutcome.match("satchel.store is " + SatchelStores.redacted(store));
        }
    }
}
