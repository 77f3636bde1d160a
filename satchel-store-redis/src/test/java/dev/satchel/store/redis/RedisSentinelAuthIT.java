package dev.satchel.store.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.satchel.core.ChangeSet;
import dev.satchel.core.SessionId;
import dev.satchel.core.SessionStoreUnavailableException;
import dev.satchel.testkit.RedisSentinelGroup;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Sentinel with passwords everywhere, each its own: the servers ask for one ({@code requirepass}),
 * the sentinels for another. The URI carries the servers' password and {@code sentinelPassword}
 * the sentinels'; a store missing either, or with a wrong one, stops at start with the reason and
 * without the password.
 */
class RedisSentinelAuthIT {
    private static final String SERVER_PASSWORD = "server-pw-7f3a";
    private static final String SENTINEL_PASSWORD = "sentinel-pw-19c2";

    private static RedisSentinelGroup group;

    @BeforeAll
    static void start() throws Exception {
        group = RedisSentinelGroup.startWithPasswords(
                Files.createTempDirectory("satchel-sentinel-auth"), SERVER_PASSWORD, SENTINEL_PASSWORD);
    }

    @AfterAll
    static void stop() {
        if (group != null) {
            group.close();
        }
    }

    @Test
    void withBothPasswords_theStoreFindsTheMasterAndKeepsSessions() {
        try (RedisSessionStore store = RedisSessionStore.builder(group.uri())
                .sentinelPassword(SENTINEL_PASSWORD)
                .build()) {
            SessionId id = SessionId.random();
            Instant now = Instant.now();
            store.save(ChangeSet.builder(id, now, now.plus(Duration.ofHours(1)))
                    .created()
                    .maxInactiveInterval(Duration.ofMinutes(30))
                    .set("cart", "2 items".getBytes(StandardCharsets.UTF_8))
                    .accessedAt(now)
                    .build());
            assertThat(store.load(id)).isPresent();
        }
    }

    @Test
    void withoutTheSentinelsPassword_theStoreStopsAtStart_sayingTheSentinelsWantOne() {
        // Lettuce names the Sentinels' NOAUTH, or, when the Sentinel closes the connection before
        // Lettuce has read that answer (seen once in CI), only that it could not connect to any.
        assertThatThrownBy(() -> RedisSessionStore.builder(group.uri()).build())
                .isInstanceOf(SessionStoreUnavailableException.class)
                .hasMessageContaining("cannot connect to Redis at redis-sentinel://***@")
                .hasMessageNotContaining(SERVER_PASSWORD)
                .satisfies(
                        e -> assertThat(e.getMessage()).containsAnyOf("NOAUTH", "Cannot connect to a Redis Sentinel"));
    }

    @Test
    void aWrongSentinelPassword_orAWrongServerPassword_stopsTheStoreAtStart_withoutShowingEither() {
        assertThatThrownBy(() -> RedisSessionStore.builder(group.uri())
                        .sentinelPassword("not-it")
                        .build())
                .isInstanceOf(SessionStoreUnavailableException.class)
                .hasMessageNotContaining("not-it")
                .hasMessageNotContaining(SERVER_PASSWORD);
        String wrongServer = group.uri().replace(SERVER_PASSWORD, "also-not-it");
        assertThatThrownBy(() -> RedisSessionStore.builder(wrongServer)
                        .sentinelPassword(SENTINEL_PASSWORD)
                        .build())
                .isInstanceOf(SessionStoreUnavailableException.class)
                .hasMessageContaining("WRONGPASS")
                .hasMessageNotContaining("also-not-it")
                .hasMessageNotContaining(SENTINEL_PASSWORD);
    }

    @Test
    void aSentinelPassword_withoutASentinelUri_isRefused() {
        assertThatThrownBy(() ->
                        RedisSessionStore.builder("redis://127.0.0.1:6379").sentinelPassword("x"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("redis-sentinel://");
    }
}
