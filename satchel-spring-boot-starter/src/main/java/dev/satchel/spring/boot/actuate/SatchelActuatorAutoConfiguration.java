package dev.satchel.spring.boot.actuate;

import dev.satchel.core.SessionStore;
import dev.satchel.spring.boot.SatchelAutoConfiguration;
import dev.satchel.spring.boot.SatchelStores;
import org.springframework.boot.actuate.autoconfigure.endpoint.condition.ConditionalOnAvailableEndpoint;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication;
import org.springframework.boot.health.autoconfigure.contributor.ConditionalOnEnabledHealthIndicator;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.web.context.WebApplicationContext;

/**
 * With Spring Boot's Actuator: the session store's health ({@code satchel} under {@code
 * /actuator/health}) and the {@code sessions} endpoint. Satchel's metrics come from {@link
 * SatchelAutoConfiguration} whenever there is a {@code MeterRegistry}.
 */
@AutoConfiguration(after = SatchelAutoConfiguration.class)
@ConditionalOnWebApplication(type = ConditionalOnWebApplication.Type.SERVLET)
@ConditionalOnClass(name = "org.springframework.boot.actuate.endpoint.annotation.Endpoint")
public class SatchelActuatorAutoConfiguration {

    /** The store's health, when there is a store (sealed cookies have none). */
    @Configuration(proxyBeanMethods = false)
    @ConditionalOnClass(HealthIndicator.class)
    @ConditionalOnBean(SessionStore.class)
    @ConditionalOnEnabledHealthIndicator("satchel")
    static class Health {
        @Bean
        @ConditionalOnMissingBean(name = "satchelHealthIndicator")
        SessionStoreHealthIndicator satchelHealthIndicator(SessionStore store) {
            return new SessionStoreHealthIndicator(store, SatchelStores.kindOf(store));
        }
    }

    /**
     * The sessions endpoint, where there is a store to ask (sealed cookies have none) and no Spring
     * Session, whose own endpoint has the same id.
     */
    @Bean
    @ConditionalOnMissingBean
    @ConditionalOnBean(SessionStore.class)
    @ConditionalOnMissingClass("org.springframework.session.Session")
    @ConditionalOnAvailableEndpoint(SessionsEndpoint.class)
    SessionsEndpoint satchelSessionsEndpoint(WebApplicationContext context) {
        return new SessionsEndpoint(context);
    }
}
