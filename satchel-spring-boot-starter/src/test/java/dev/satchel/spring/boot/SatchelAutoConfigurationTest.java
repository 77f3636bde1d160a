package dev.satchel.spring.boot;

import static org.assertj.core.api.Assertions.assertThat;

import dev.satchel.cookie.SealedCookieSessions;
import dev.satchel.core.SessionStore;
import dev.satchel.core.memory.MemorySessionStore;
import dev.satchel.servlet.MicrometerSessionMetrics;
import dev.satchel.servlet.SatchelFilter;
import dev.satchel.servlet.SessionMetrics;
import dev.satchel.servlet.SessionOptions;
import dev.satchel.spring.boot.actuate.SatchelActuatorAutoConfiguration;
import dev.satchel.spring.boot.actuate.SessionStoreHealthIndicator;
import dev.satchel.spring.boot.security.PrincipalFromSecurityContext;
import dev.satchel.spring.boot.security.SatchelSecurityAutoConfiguration;
import dev.satchel.spring.boot.security.SatchelSessionRegistry;
import dev.satchel.store.jdbc.JdbcSessionStore;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import jakarta.servlet.DispatcherType;
import jakarta.servlet.http.HttpSessionEvent;
import jakarta.servlet.http.HttpSessionListener;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.diagnostics.FailureAnalysis;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.Status;
import org.springframework.boot.test.context.runner.WebApplicationContextRunner;
import org.springframework.boot.web.servlet.FilterRegistrationBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.security.authentication.UsernamePasswordAuthenticationToken;
import org.springframework.security.core.context.SecurityContextImpl;
import org.springframework.security.core.session.SessionRegistry;
import org.springframework.security.core.session.SessionRegistryImpl;

/** What the auto-configuration builds from the properties, and what it refuses at start-up. */
class SatchelAutoConfigurationTest {
    private final WebApplicationContextRunner runner =
            new WebApplicationContextRunner().withConfiguration(AutoConfigurations.of(SatchelAutoConfiguration.class));

    @Test
    void withNoProperty_sessionsLiveInMemory_andTheFilterRunsAheadOfSpringSecurityForEveryDispatch() {
        runner.run(context -> {
            assertThat(context).hasNotFailed();
            assertThat(context.getBean(SessionStore.class)).isInstanceOf(MemorySessionStore.class);
            @SuppressWarnings("unchecked")
            FilterRegistrationBean<SatchelFilter> registration = context.getBean(FilterRegistrationBean.class);
            assertThat(registration.getFilter()).isInstanceOf(SatchelFilter.class);
            assertThat(registration.getOrder()).isLessThan(-100); // Spring Security's chain is at -100
            assertThat(registration.isAsyncSupported()).isTrue();
            assertThat(registration.getUrlPatterns()).containsExactly("/*");
        });
    }

    @Test
    void theTimeoutsAndCookieComeFromTheProperties_durationsAsBootWritesThem() {
        runner.withPropertyValues(
                        "satchel.idle-timeout=45m",
                        "satchel.absolute-timeout=2h",
                        "satchel.cookie.name=SHOP",
                        "satchel.cookie.same-site=strict",
                        "satchel.save-mode=on-get-attribute")
                .run(context -> {
                    SessionOptions options = context.getBean(SessionOptions.class);
                    assertThat(options.idleTimeout()).isEqualTo(Duration.ofMinutes(45));
                    assertThat(options.absoluteTimeout()).isEqualTo(Duration.ofHours(2));
                    assertThat(options.saveMode()).isEqualTo(dev.satchel.servlet.SaveMode.ON_GET_ATTRIBUTE);
                    assertThat(options.idResolver())
                            .isInstanceOfSatisfying(
                                    dev.satchel.servlet.CookieSessionIdResolver.class,
                                    c -> assertThat(c.cookieName()).isEqualTo("SHOP"));
                });
    }

    @Test
    void theApplicationsOwnStoreWins() {
        runner.withUserConfiguration(OwnStore.class)
                .withPropertyValues("satchel.store=redis://127.0.0.1:1")
                .run(context -> {
                    assertThat(context).hasNotFailed();
                    assertThat(context.getBean(SessionStore.class)).isSameAs(OwnStore.STORE);
                });
    }

    @Test
    void theSessionListenersOfTheContextHearSatchelsSessions() {
        runner.withUserConfiguration(Listening.class).run(context -> {
            SessionOptions options = context.getBean(SessionOptions.class);
            assertThat(options.listeners()).contains(context.getBean(HttpSessionListener.class));
        });
    }

    @Test
    void anUnknownStore_stopsTheApplicationAtStartUp_withAReasonAndWhatToDo() {
        runner.withPropertyValues("satchel.store=floppy://a").run(context -> {
            assertThat(context).hasFailed();
            FailureAnalysis analysis = analysis(context.getStartupFailure());
            assertThat(analysis.getDescription()).contains("satchel.store=floppy://a is not a store Satchel knows");
            assertThat(analysis.getAction()).contains("memory", "redis://", "jdbc");
        });
    }

    @Test
    void aRedisThatDoesNotAnswer_stopsTheApplicationAtStartUp_withoutShowingItsPassword() {
        runner.withPropertyValues("satchel.store=redis://:hunter2@127.0.0.1:1").run(context -> {
            assertThat(context).hasFailed();
            FailureAnalysis analysis = analysis(context.getStartupFailure());
            assertThat(analysis.getDescription())
                    .contains("could not open its session store redis://***@127.0.0.1:1")
                    .doesNotContain("hunter2");
        });
    }

    @Test
    void aMongoDbThatDoesNotAnswer_stopsTheApplicationAtStartUp_withoutShowingItsPassword() {
        runner.withPropertyValues("satchel.store=mongodb://app:hunter2@127.0.0.1:1/shop")
                .run(context -> {
                    assertThat(context).hasFailed();
                    FailureAnalysis analysis = analysis(context.getStartupFailure());
                    assertThat(analysis.getDescription())
                            .contains(
                                    "could not open its session store mongodb://***@127.0.0.1:1/shop",
                                    "no server answered at 127.0.0.1:1")
                            .doesNotContain("hunter2");
                });
    }

    @Test
    void sealedCookiesWithoutAKey_stopTheApplicationAtStartUp() {
        runner.withPropertyValues("satchel.store=cookie", "satchel.sealed.keyset-location=/nonexistent/keyset.json")
                .run(context -> {
                    assertThat(context).hasFailed();
                    FailureAnalysis analysis = analysis(context.getStartupFailure());
                    assertThat(analysis.getDescription()).contains("sealed cookies have no key");
                    assertThat(analysis.getAction()).contains(SealedCookieSessions.KEYSET_VARIABLE);
                });
    }

    @Test
    void sealedCookiesWithAKeyFile_needNoStore() throws Exception {
        java.nio.file.Path keyset = java.nio.file.Files.createTempFile("satchel-keyset", ".json");
        java.nio.file.Files.writeString(keyset, SealedCookieSessions.generateKeyset());
        runner.withPropertyValues("satchel.store=cookie", "satchel.sealed.keyset-location=" + keyset)
                .run(context -> {
                    assertThat(context).hasNotFailed();
                    assertThat(context).doesNotHaveBean(SessionStore.class);
                    assertThat(context).hasSingleBean(SealedCookieSessions.class);
                    assertThat(context).hasSingleBean(FilterRegistrationBean.class);
                });
    }

    @Test
    void jdbcAlone_usesTheApplicationsDataSource_andWithoutOneSaysSo() {
        runner.withPropertyValues("satchel.store=jdbc").run(context -> {
            assertThat(context).hasFailed();
            assertThat(analysis(context.getStartupFailure()).getDescription())
                    .contains("application's DataSource, and it has none");
        });
        runner.withPropertyValues("satchel.store=jdbc")
                .withUserConfiguration(OwnDataSource.class)
                .run(context -> {
                    assertThat(context).hasNotFailed();
                    assertThat(context.getBean(SessionStore.class)).isInstanceOf(JdbcSessionStore.class);
                });
    }

    @Test
    void aBadAnnounceAddress_isRefusedBeforeTheClusterStarts() {
        runner.withPropertyValues("satchel.store=replicated", "satchel.cluster.announce=nowhere")
                .run(context -> {
                    assertThat(context).hasFailed();
                    assertThat(analysis(context.getStartupFailure()).getDescription())
                            .contains("satchel.cluster.announce=nowhere is not HOST:PORT");
                });
    }

    @Test
    void aClusterStoreWithoutTlsOrPlaintext_isRefusedWithWhatToSet() {
        runner.withPropertyValues("satchel.store=primary-backup").run(context -> {
            assertThat(context).hasFailed();
            var analysis = analysis(context.getStartupFailure());
            assertThat(analysis.getDescription())
                    .contains("neither satchel.cluster.keystore nor satchel.cluster.plaintext");
            assertThat(analysis.getAction()).contains("satchel cluster-keystore");
        });
        runner.withPropertyValues(
                        "satchel.store=replicated",
                        "satchel.cluster.keystore=/nowhere/cluster.p12",
                        "satchel.cluster.keystore-password=secret")
                .run(context -> {
                    assertThat(context).hasFailed();
                    assertThat(analysis(context.getStartupFailure()).getDescription())
                            .contains("cluster keystore /nowhere/cluster.p12 is not a file");
                });
    }

    @Test
    void satchelEnabledFalse_leavesTheContainersSessions() {
        runner.withPropertyValues("satchel.enabled=false").run(context -> {
            assertThat(context).doesNotHaveBean(SessionStore.class);
            assertThat(context).doesNotHaveBean(FilterRegistrationBean.class);
        });
    }

    @Test
    void dispatcherTypes_includeAsyncAndError() {
        runner.run(context -> {
            FilterRegistrationBean<?> registration = context.getBean(FilterRegistrationBean.class);
            assertThat(registration.determineDispatcherTypes())
                    .contains(DispatcherType.REQUEST, DispatcherType.ASYNC, DispatcherType.ERROR);
        });
    }

    @Test
    void withSpringSecurity_itsContextIsStored_theIndexFollowsLogins_andTheRegistryReadsTheStore() {
        runner.withConfiguration(AutoConfigurations.of(SatchelSecurityAutoConfiguration.class))
                .run(context -> {
                    assertThat(context).hasNotFailed();
                    assertThat(context.getBean(SessionRegistry.class)).isInstanceOf(SatchelSessionRegistry.class);
                    SessionOptions options = context.getBean(SessionOptions.class);
                    assertThat(options.listeners()).contains(context.getBean(PrincipalFromSecurityContext.class));
                    SecurityContextImpl login = new SecurityContextImpl(
                            UsernamePasswordAuthenticationToken.authenticated("alice", null, List.of()));
                    Object back = options.codec().decode("c", options.codec().encode("c", login));
                    assertThat(((SecurityContextImpl) back).getAuthentication().getName())
                            .isEqualTo("alice");
                });
    }

    @Test
    void theApplicationsOwnSessionRegistryWins() {
        runner.withConfiguration(AutoConfigurations.of(SatchelSecurityAutoConfiguration.class))
                .withBean(SessionRegistry.class, SessionRegistryImpl::new)
                .run(context ->
                        assertThat(context.getBean(SessionRegistry.class)).isInstanceOf(SessionRegistryImpl.class));
    }

    @Test
    void theCodecTakesTheApplicationsAllowlist_andABadOneStopsTheStart() {
        runner.withPropertyValues("satchel.codec.java-serialization=java.util.Date")
                .run(context -> {
                    SessionOptions options = context.getBean(SessionOptions.class);
                    java.util.Date when = new java.util.Date(86_400_000L);
                    assertThat(options.codec().decode("d", options.codec().encode("d", when)))
                            .isEqualTo(when);
                });
        runner.withPropertyValues("satchel.codec.java-serialization=maxdepth=lots")
                .run(context -> {
                    assertThat(context).hasFailed();
                    assertThat(analysis(context.getStartupFailure()).getDescription())
                            .contains("satchel.codec.java-serialization is not a valid allowlist");
                });
    }

    @Test
    void withAMeterRegistry_theFilterReportsToIt_taggedWithTheKindOfStore() {
        runner.withBean(MeterRegistry.class, SimpleMeterRegistry::new).run(context -> {
            SessionOptions options = context.getBean(SessionOptions.class);
            assertThat(options.metrics()).isInstanceOf(MicrometerSessionMetrics.class);
            MeterRegistry meters = context.getBean(MeterRegistry.class);
            assertThat(meters.get("satchel.store.sessions")
                            .tag("store", "memory")
                            .gauge()
                            .value())
                    .isZero();
            assertThat(meters.get("satchel.sessions.started").counter().count()).isZero();
        });
        runner.run(context ->
                assertThat(context.getBean(SessionOptions.class).metrics()).isSameAs(SessionMetrics.none()));
    }

    @Test
    void withActuator_theStoresHealthIsUp_whileItAnswers() {
        runner.withConfiguration(AutoConfigurations.of(SatchelActuatorAutoConfiguration.class))
                .run(context -> {
                    Health health =
                            context.getBean(SessionStoreHealthIndicator.class).health();
                    assertThat(health.getStatus()).isEqualTo(Status.UP);
                    assertThat(health.getDetails())
                            .containsEntry("store", "memory")
                            .containsKey("sessionsHeld");
                });
    }

    @Test
    void aFileStore_keepsThisInstancesSessionsInItsFolder() throws Exception {
        java.nio.file.Path folder =
                java.nio.file.Files.createTempDirectory("satchel-boot-file").resolve("s");
        runner.withPropertyValues("satchel.store=file:" + folder).run(context -> {
            assertThat(context.getBean(SessionStore.class)).isInstanceOf(dev.satchel.store.file.FileSessionStore.class);
            assertThat(folder).isDirectory();
        });
        runner.withPropertyValues("satchel.store=file:" + folder + "?sync=sometimes")
                .run(context -> {
                    assertThat(context).hasFailed();
                    assertThat(analysis(context.getStartupFailure()).getDescription())
                            .contains("?sync=always", "?sync=never", "not ?sync=sometimes");
                });
    }

    /** The analysis Boot prints for a start-up failure caused by Satchel's settings. */
    private static FailureAnalysis analysis(Throwable failure) {
        Throwable t = failure;
        while (t != null && !(t instanceof SatchelConfigurationException)) {
            t = t.getCause();
        }
        assertThat(t)
                .as("a SatchelConfigurationException among the causes of %s", failure)
                .isNotNull();
        return new SatchelFailureAnalyzer().analyze(failure);
    }

    @Configuration(proxyBeanMethods = false)
    static class OwnStore {
        static final SessionStore STORE = MemorySessionStore.builder().build();

        @Bean
        SessionStore myStore() {
            return STORE;
        }
    }

    @Configuration(proxyBeanMethods = false)
    static class Listening {
        @Bean
        HttpSessionListener counter() {
            return new HttpSessionListener() {
                @Override
                public void sessionCreated(HttpSessionEvent se) {}
            };
        }
    }

    @Configuration(proxyBeanMethods = false)
    static class OwnDataSource {
        @Bean
        javax.sql.DataSource dataSource() {
            org.h2.jdbcx.JdbcDataSource ds = new org.h2.jdbcx.JdbcDataSource();
            ds.setURL("jdbc:h2:mem:satchel-starter;DB_CLOSE_DELAY=-1");
            return ds;
        }
    }
}
