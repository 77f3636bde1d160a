package dev.satchel.spring.boot;

import static org.assertj.core.api.Assertions.assertThat;

import dev.satchel.core.SessionId;
import dev.satchel.core.SessionStore;
import dev.satchel.store.redis.RedisSessionStore;
import dev.satchel.testkit.LocalRedisServer;
import io.lettuce.core.resource.ClientResources;
import io.lettuce.core.resource.DefaultClientResources;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.nio.file.Files;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.WebApplicationContextRunner;

/**
 * An application that already talks to Redis through Lettuce has a {@code ClientResources} bean;
 * Satchel's Redis store runs on its threads instead of starting its own, and leaves it running.
 */
class SharedLettuceResourcesIT {
    private LocalRedisServer redis;
    private DefaultClientResources applications;
    private final Set<String> asked = ConcurrentHashMap.newKeySet();

    @BeforeEach
    void start() throws Exception {
        redis = LocalRedisServer.start(Files.createTempDirectory("satchel-boot-lettuce"));
        applications = DefaultClientResources.create();
    }

    @AfterEach
    void stop() {
        applications.shutdown();
        redis.close();
    }

    /** The application's resources, noting what the store asks of them. */
    private ClientResources watched() {
        return (ClientResources) Proxy.newProxyInstance(
                ClientResources.class.getClassLoader(), new Class<?>[] {ClientResources.class}, (p, method, args) -> {
                    asked.add(method.getName());
                    try {
                        return method.invoke(applications, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
    }

    @Test
    void theRedisStore_runsOnTheApplicationsLettuceThreads() {
        new WebApplicationContextRunner()
                .withConfiguration(AutoConfigurations.of(SatchelAutoConfiguration.class))
                .withBean(ClientResources.class, this::watched, d -> d.setDestroyMethodName(""))
                .withPropertyValues("satchel.store=redis://127.0.0.1:" + redis.port())
                .run(context -> {
                    assertThat(context).hasNotFailed();
                    SessionStore store = context.getBean(SessionStore.class);
                    assertThat(store).isInstanceOf(RedisSessionStore.class);
                    assertThat(store.load(SessionId.random())).isEmpty();
                });
        assertThat(asked).contains("eventLoopGroupProvider", "eventExecutorGroup", "timer");
        assertThat(asked).doesNotContain("shutdown");
        assertThat(applications.eventExecutorGroup().isShuttingDown()).isFalse();
    }
}
