package dev.satchel.store.redis;

import static org.assertj.core.api.Assertions.assertThat;

import dev.satchel.core.ChangeSet;
import dev.satchel.core.SessionId;
import dev.satchel.testkit.LocalRedisServer;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A redis-server started as {@code satchel demo --store redis} starts it, with a memory cap and
 * {@code volatile-ttl}, filled past the cap by a flood of short-lived sessions: every write is
 * accepted, and the long-lived session of a user who is still active survives.
 */
class RedisMaxMemoryIT {
    private LocalRedisServer server;
    private RedisSessionStore store;

    @BeforeEach
    void start() throws Exception {
        server = LocalRedisServer.start(Files.createTempDirectory("satchel-redis-maxmemory"), "4mb");
        store = RedisSessionStore.builder(server.uri()).build();
    }

    @AfterEach
    void stop() {
        store.close();
        server.close();
    }

    private Map<String, String> config(String... names) {
        RedisClient client = RedisClient.create(server.uri());
        try (StatefulRedisConnection<String, String> c = client.connect()) {
            Map<String, String> values = new java.util.HashMap<>();
            for (String name : names) {
                values.putAll(c.sync().configGet(name));
            }
            return values;
        } finally {
            client.shutdown();
        }
    }

    private long evictedKeys() {
        RedisClient client = RedisClient.create(server.uri());
        try (StatefulRedisConnection<String, String> c = client.connect()) {
            for (String line : c.sync().info("stats").split("\r?\n")) {
                if (line.startsWith("evicted_keys:")) {
                    return Long.parseLong(
                            line.substring("evicted_keys:".length()).strip());
                }
            }
            throw new AssertionError("INFO stats has no evicted_keys");
        } finally {
            client.shutdown();
        }
    }

    private void create(SessionId id, Duration idle, int bytes) {
        Instant now = Clock.systemUTC().instant();
        store.save(ChangeSet.builder(id, now, now.plus(Duration.ofHours(8)))
                .created()
                .accessedAt(now)
                .maxInactiveInterval(idle)
                .set("cart", "x".repeat(bytes).getBytes(StandardCharsets.UTF_8))
                .build());
    }

    @Test
    void floodPastTheCap_isAccepted_andEvictsTheSessionsClosestToExpiry_notTheActiveUsers() {
        assertThat(config("maxmemory", "maxmemory-policy"))
                .containsEntry("maxmemory", Long.toString(4L * 1024 * 1024))
                .containsEntry("maxmemory-policy", "volatile-ttl");
        SessionId user = SessionId.random();
        create(user, Duration.ofMinutes(30), 200);
        int flood = 20_000; // about 1 KB each in Redis: five times the cap
        for (int i = 0; i < flood; i++) {
            create(SessionId.random(), Duration.ofMinutes(5), 500); // throws if Redis refuses the write
        }
        long evicted = evictedKeys();
        System.out.println(
                "redis at 4mb with volatile-ttl: " + flood + " flood sessions written, " + evicted + " keys evicted");
        assertThat(evicted).as("keys evicted to stay under the cap").isPositive();
        assertThat(store.load(user))
                .as("the active user's session, the furthest from expiry")
                .isPresent();
    }

    @Test
    void memorySize_acceptsWhatRedisReads_atLeastAMegabyte() {
        assertThat(LocalRedisServer.isMemorySize("128mb")).isTrue();
        assertThat(LocalRedisServer.isMemorySize("1GB")).isTrue();
        assertThat(LocalRedisServer.isMemorySize("1048576")).isTrue();
        assertThat(LocalRedisServer.isMemorySize("1048575")).isFalse();
        assertThat(LocalRedisServer.isMemorySize("512kb")).isFalse();
        assertThat(LocalRedisServer.isMemorySize("lots")).isFalse();
        assertThat(LocalRedisServer.isMemorySize("-1mb")).isFalse();
        assertThat(LocalRedisServer.isMemorySize("99999999999gb"))
                .as("more bytes than a long holds")
                .isFalse();
        assertThat(LocalRedisServer.isMemorySize("")).isFalse();
        assertThat(LocalRedisServer.isMemorySize(null)).isFalse();
    }
}
