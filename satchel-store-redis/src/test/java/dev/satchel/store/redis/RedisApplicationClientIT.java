package dev.satchel.store.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.satchel.core.ChangeSet;
import dev.satchel.core.SessionId;
import dev.satchel.core.SessionStoreUnavailableException;
import dev.satchel.testkit.LocalRedisServer;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A store built on the application's own Lettuce client uses that client's URI and credentials,
 * and closing the store leaves the client working for the application.
 */
class RedisApplicationClientIT {
    private LocalRedisServer server;
    private RedisClient applications;

    @BeforeEach
    void start() throws Exception {
        server = LocalRedisServer.start(Files.createTempDirectory("satchel-redis-client"));
        applications = RedisClient.create(server.uri());
    }

    @AfterEach
    void stop() {
        applications.shutdown();
        server.close();
    }

    @Test
    void theStoreWorksThroughTheApplicationsClient_andLeavesItRunningWhenClosed() {
        SessionId id = SessionId.random();
        try (RedisSessionStore store = RedisSessionStore.builder(applications).build()) {
            Instant now = Instant.now();
            store.save(ChangeSet.builder(id, now, now.plus(Duration.ofHours(1)))
                    .created()
                    .maxInactiveInterval(Duration.ofMinutes(30))
                    .set("cart", "3 items".getBytes(StandardCharsets.UTF_8))
                    .accessedAt(now)
                    .build());
            assertThat(store.load(id)).isPresent();
            assertThat(store.resources()).isSameAs(applications.getResources());
        }
        try (var connection = applications.connect()) {
            assertThat(connection.sync().ping()).isEqualTo("PONG");
            assertThat(connection.sync().exists(RedisSessionStore.DEFAULT_KEY_PREFIX + "s:{" + id.value() + "}"))
                    .isEqualTo(1L);
        }
    }

    @Test
    void aClientWithoutAUri_orWithFilesTheStoreCannotApply_isRefusedWithAReason() {
        RedisClient bare = RedisClient.create();
        try {
            assertThatThrownBy(() -> RedisSessionStore.builder(bare).build())
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("has no URI");
        } finally {
            bare.shutdown();
        }
        assertThatThrownBy(() -> RedisSessionStore.builder(applications)
                        .trustedCertificates(Path.of("ca.pem"))
                        .build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("set them on the application's own client");
    }

    @Test
    void aClientWhoseServerIsDown_failsAtStartWithTheReason() {
        RedisClient nowhere = RedisClient.create(RedisURI.create("redis://127.0.0.1:1"));
        try {
            assertThatThrownBy(() -> RedisSessionStore.builder(nowhere).build())
                    .isInstanceOf(SessionStoreUnavailableException.class)
                    .hasMessageContaining("through the application's client");
        } finally {
            nowhere.shutdown();
        }
    }
}
