package dev.satchel.store.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import dev.satchel.core.ChangeSet;
import dev.satchel.core.SessionId;
import dev.satchel.core.SessionRecord;
import dev.satchel.core.SessionStore;
import dev.satchel.core.SessionStoreContract;
import dev.satchel.core.SessionStoreUnavailableException;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The shared store contract, and Redis's own promises, against a real redis-server process. */
class RedisSessionStoreIT extends SessionStoreContract {
    private static LocalRedisServer server;

    @BeforeAll
    static void startRedis() throws Exception {
        server = LocalRedisServer.start(java.nio.file.Files.createTempDirectory("satchel-redis"));
    }

    @AfterAll
    static void stopRedis() throws Exception {
        server.close();
    }

    @Override
    protected SessionStore createStore(Clock clock) {
        return RedisSessionStore.builder(server.uri())
                .clock(clock)
                .keyPrefix("t" + System.nanoTime() + ":")
                .build();
    }

    @Override
    protected void reclaimExpired(SessionStore store) {
        // Redis reclaims by TTL on its own clock; the fake clock's expiry is enforced on read.
    }

    private String raw(String command, String key) {
        RedisClient client = RedisClient.create(server.uri());
        try (StatefulRedisConnection<String, String> c = client.connect()) {
            return switch (command) {
                case "pttl" -> Long.toString(c.sync().pttl(key));
                case "keys" -> String.join(",", c.sync().keys(key));
                default -> throw new IllegalArgumentException(command);
            };
        } finally {
            client.shutdown();
        }
    }

    @Test
    void everyKeyOfASession_sitsInOneSlot_andLivesExactlyAsLongAsTheSession() {
        SessionRecord r = create(Map.of("a", "1"));
        String keys = raw("keys", "*" + r.id().value() + "*");
        assertThat(keys.split(",")).hasSize(1).allSatisfy(k -> assertThat(k).contains("{" + r.id().value() + "}"));
        long ttl = Long.parseLong(raw("pttl", keys));
        assertThat(ttl).isBetween(IDLE.toMillis() - 5_000, IDLE.toMillis());
    }

    /** Commands the server has executed, by name, from {@code INFO commandstats}. */
    private Map<String, Long> commandCounts() {
        RedisClient client = RedisClient.create(server.uri());
        try (StatefulRedisConnection<String, String> c = client.connect()) {
            Map<String, Long> counts = new java.util.HashMap<>();
            for (String line : c.sync().info("commandstats").split("\r?\n")) {
                if (line.startsWith("cmdstat_")) {
                    String name = line.substring("cmdstat_".length(), line.indexOf(':'));
                    String calls =
                            line.substring(line.indexOf("calls=") + 6, line.indexOf(',', line.indexOf("calls=")));
                    counts.put(name, Long.parseLong(calls));
                }
            }
            return counts;
        } finally {
            client.shutdown();
        }
    }

    /** What the server executed between two snapshots, leaving out the snapshots' own INFO calls. */
    private static Map<String, Long> delta(Map<String, Long> before, Map<String, Long> after) {
        Map<String, Long> d = new java.util.TreeMap<>();
        after.forEach((name, calls) -> {
            long n = calls - before.getOrDefault(name, 0L);
            if (n > 0 && !name.equals("info") && !name.equals("hello") && !name.startsWith("client")) {
                d.put(name, n);
            }
        });
        return d;
    }

    @Test
    void loadIsOneCommand_andASaveIsOneScriptCall() {
        SessionRecord r = create(Map.of("a", "1", "b", "2"));
        Map<String, Long> before = commandCounts();
        store.load(r.id());
        Map<String, Long> afterLoad = commandCounts();
        assertThat(delta(before, afterLoad)).containsExactly(Map.entry("hgetall", 1L));
        store.save(change(r)
                .set("b", bytes("3"))
                .remove("a")
                .accessedAt(clock.instant())
                .build());
        Map<String, Long> afterSave = commandCounts();
        // EVALSHA is one round trip; the commands the script runs inside it are counted by name too.
        Map<String, Long> save = delta(afterLoad, afterSave);
        assertThat(save).containsEntry("evalsha", 1L).doesNotContainKeys("hgetall", "rename", "eval", "multi");
    }

    @Test
    void aSessionNobodyReadsAgain_getsOneExpiredEvent_whenRedisTtlRemovesIt() throws Exception {
        try (RedisSessionStore s = RedisSessionStore.builder(server.uri())
                .keyPrefix("ttl" + System.nanoTime() + ":")
                .enableKeyspaceEvents(true)
                .build()) {
            java.util.concurrent.LinkedBlockingQueue<dev.satchel.core.SessionEvent> events =
                    new java.util.concurrent.LinkedBlockingQueue<>();
            s.subscribe(events::add);
            SessionId id = SessionId.random();
            java.time.Instant now = java.time.Instant.now();
            s.save(ChangeSet.builder(id, now, now.plus(ABSOLUTE))
                    .created()
                    .accessedAt(now)
                    .maxInactiveInterval(Duration.ofMillis(300))
                    .build());
            assertThat(events.poll(5, java.util.concurrent.TimeUnit.SECONDS).type())
                    .isEqualTo(dev.satchel.core.SessionEvent.Type.CREATED);
            dev.satchel.core.SessionEvent expired = events.poll(10, java.util.concurrent.TimeUnit.SECONDS);
            assertThat(expired).as("an EXPIRED event from Redis's own TTL").isNotNull();
            assertThat(expired.type()).isEqualTo(dev.satchel.core.SessionEvent.Type.EXPIRED);
            assertThat(expired.id()).isEqualTo(id);
            assertThat(events.poll(500, java.util.concurrent.TimeUnit.MILLISECONDS))
                    .as("exactly once")
                    .isNull();
            assertThat(s.load(id)).isEmpty();
        }
    }

    @Test
    void changeId_doesNotUseRename_andLeavesNoKeyUnderTheOldId() {
        SessionRecord r = create(Map.of("a", "1"));
        SessionId renamed = SessionId.random();
        store.save(change(r).changeId(renamed).build());
        assertThat(raw("keys", "*" + r.id().value() + "*")).isEmpty();
        assertThat(raw("keys", "*" + renamed.value() + "*")).contains("{" + renamed.value() + "}");
    }

    @Test
    void redisKilled_failsFastWithStoreUnavailable_andNeverHangs() throws Exception {
        try (LocalRedisServer doomed =
                LocalRedisServer.start(java.nio.file.Files.createTempDirectory("satchel-redis"))) {
            RedisSessionStore s = RedisSessionStore.builder(doomed.uri())
                    .commandTimeout(Duration.ofMillis(500))
                    .build();
            try {
                SessionId id = SessionId.random();
                s.save(ChangeSet.builder(id, clock.instant(), clock.instant().plus(ABSOLUTE))
                        .created()
                        .accessedAt(clock.instant())
                        .maxInactiveInterval(IDLE)
                        .build());
                doomed.kill();
                assertTimeoutPreemptively(Duration.ofSeconds(10), () -> assertThatThrownBy(() -> s.load(id))
                        .isInstanceOf(SessionStoreUnavailableException.class)
                        .hasMessageContaining("Redis"));
            } finally {
                s.close();
            }
        }
    }

    @Test
    void unreachableRedis_isRefusedAtStart_withAClearError() {
        assertThatThrownBy(() -> RedisSessionStore.builder("redis://127.0.0.1:1")
                        .commandTimeout(Duration.ofMillis(300))
                        .build())
                .isInstanceOf(SessionStoreUnavailableException.class)
                .hasMessageContaining("cannot connect to Redis at redis://127.0.0.1:1");
    }
}
