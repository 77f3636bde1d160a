package dev.satchel.store.redis;

import static org.assertj.core.api.Assertions.assertThat;

import dev.satchel.core.ChangeSet;
import dev.satchel.core.SessionId;
import dev.satchel.testkit.LocalRedisServer;
import io.lettuce.core.resource.ClientResources;
import io.lettuce.core.resource.DefaultClientResources;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A store on an application's own Lettuce resources runs on their event loops, and closing the
 * store leaves them running for the application.
 */
class RedisSharedResourcesIT {
    private LocalRedisServer server;
    private ClientResources applications;

    @BeforeEach
    void start() throws Exception {
        server = LocalRedisServer.start(Files.createTempDirectory("satchel-redis-shared"));
        applications = DefaultClientResources.create();
    }

    @AfterEach
    void stop() {
        applications.shutdown();
        server.close();
    }

    private static void saveAndLoad(RedisSessionStore store) {
        SessionId id = SessionId.random();
        Instant now = Instant.now();
        store.save(ChangeSet.builder(id, now, now.plus(Duration.ofHours(1)))
                .created()
                .maxInactiveInterval(Duration.ofMinutes(30))
                .set("k", "v".getBytes(StandardCharsets.UTF_8))
                .accessedAt(now)
                .build());
        assertThat(store.load(id)).isPresent();
    }

    @Test
    void theStoreRunsOnTheApplicationsEventLoops_andLeavesThemRunningWhenClosed() {
        RedisSessionStore store = RedisSessionStore.builder(server.uri())
                .clientResources(applications)
                .build();
        saveAndLoad(store);
        assertThat(store.resources()).isNotSameAs(applications);
        assertThat(store.resources().eventLoopGroupProvider()).isSameAs(applications.eventLoopGroupProvider());
        assertThat(store.resources().eventExecutorGroup()).isSameAs(applications.eventExecutorGroup());
        store.close();
        assertThat(applications.eventExecutorGroup().isShuttingDown()).isFalse();

        RedisSessionStore again = RedisSessionStore.builder(server.uri())
                .clientResources(applications)
                .build();
        saveAndLoad(again);
        again.close();
    }

    @Test
    void withoutThem_theStoreHasResourcesOfItsOwn() {
        RedisSessionStore store = RedisSessionStore.builder(server.uri()).build();
        try {
            saveAndLoad(store);
            assertThat(store.resources().eventLoopGroupProvider()).isNotSameAs(applications.eventLoopGroupProvider());
        } finally {
            store.close();
        }
    }
}
