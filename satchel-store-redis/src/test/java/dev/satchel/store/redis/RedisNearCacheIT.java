package dev.satchel.store.redis;

import static org.assertj.core.api.Assertions.assertThat;

import dev.satchel.core.ChangeSet;
import dev.satchel.core.SessionId;
import dev.satchel.core.SessionRecord;
import dev.satchel.core.SessionStore;
import dev.satchel.core.SessionStoreContract;
import dev.satchel.testkit.Await;
import dev.satchel.testkit.LocalRedisServer;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import java.nio.file.Files;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The store contract with the near-cache on, then the promise that matters: a session changed on
 * one node is never served stale from another node's near-cache.
 */
class RedisNearCacheIT extends SessionStoreContract {
    /** How long an invalidation or a reconnect may take to arrive. */
    private static final Duration WAIT = Duration.ofSeconds(10);

    private static LocalRedisServer server;

    @BeforeAll
    static void startRedis() throws Exception {
        server = LocalRedisServer.start(Files.createTempDirectory("satchel-redis-near"));
    }

    @AfterAll
    static void stopRedis() {
        server.close();
    }

    @Override
    protected SessionStore createStore(Clock clock) {
        return nodeStore(clock);
    }

    private RedisSessionStore nodeStore(Clock clock) {
        return RedisSessionStore.builder(server.uri())
                .clock(clock)
                .nearCache(10_000)
                .build();
    }

    @Override
    protected boolean expectsConditionalSaves() {
        return true;
    }

    @Override
    protected void reclaimExpired(SessionStore store) {
        // Redis reclaims by TTL on its own clock; the fake clock's expiry is enforced on read.
    }

    private RedisSessionStore relaxedStore(Clock clock) {
        return RedisSessionStore.builder(server.uri())
                .clock(clock)
                .relaxedNearCache(10_000)
                .build();
    }

    /** Writes on A and reads on B at once, {@code rounds} times; returns how many reads were stale. */
    private int staleReadsAfterWritesElsewhere(RedisSessionStore a, RedisSessionStore b, int rounds) {
        SessionId id = SessionId.random();
        Instant now = clock.instant();
        a.save(newSession(id).set("n", bytes("0")).build());
        int stale = 0;
        for (int i = 1; i <= rounds; i++) {
            b.load(id).orElseThrow(); // B caches what it read
            a.save(ChangeSet.builder(id, now, now.plus(ABSOLUTE))
                    .set("n", bytes(Integer.toString(i)))
                    .build());
            // At once, with no pause: B must see A's write, not its cached copy.
            if (!text(b.load(id).orElseThrow().attributes().get("n")).equals(Integer.toString(i))) {
                stale++;
            }
        }
        return stale;
    }

    @Test
    void aSessionChangedOnNodeA_isNeverServedStaleByNodeB() {
        try (RedisSessionStore a = nodeStore(clock);
                RedisSessionStore b = nodeStore(clock)) {
            assertThat(staleReadsAfterWritesElsewhere(a, b, 2_000))
                    .as("stale reads on B")
                    .isZero();
            assertThat(b.counters().get("near_cache_hits"))
                    .as("near-cache hits on B")
                    .isPositive();
        }
    }

    @Test
    void relaxedNearCache_staleReadsRightAfterAWriteElsewhere_areCountedAndEnd() throws Exception {
        int rounds = 2_000;
        int stale;
        try (RedisSessionStore a = relaxedStore(clock);
                RedisSessionStore b = relaxedStore(clock)) {
            stale = staleReadsAfterWritesElsewhere(a, b, rounds);
            // The invalidation does arrive: B converges on A's last write without any read of its own.
            SessionId id = SessionId.random();
            a.save(newSession(id).set("n", bytes("first")).build());
            b.load(id);
            a.save(change(a.load(id).orElseThrow()).set("n", bytes("second")).build());
            Await.until(
                    WAIT,
                    () -> text(b.load(id).orElseThrow().attributes().get("n")),
                    "second"::equals,
                    "B's read to see A's second write, with no read of its own in between");
        }
        String line = String.format(
                "relaxed near-cache: %d of %d reads on node B issued right after a write on node A were stale",
                stale, rounds);
        System.out.println(line);
        java.nio.file.Path report = java.nio.file.Path.of("target", "near-cache.txt");
        Files.createDirectories(report.getParent());
        Files.writeString(report, line + System.lineSeparator());
        assertThat(stale).isLessThan(rounds);
    }

    @Test
    void readingAnUnchangedSession_costsOneVersionCheck_orNothingWhenRelaxed() {
        SessionRecord r = create(Map.of("cart", "[1,2,3]"));
        store.load(r.id()); // the first read fills the cache
        Map<String, Long> before = calls();
        for (int i = 0; i < 100; i++) {
            assertThat(store.load(r.id())).isPresent();
        }
        Map<String, Long> after = calls();
        assertThat(after.get("hgetall") - before.get("hgetall"))
                .as("HGETALLs for 100 cached reads")
                .isZero();
        assertThat(after.getOrDefault("hget", 0L) - before.getOrDefault("hget", 0L))
                .isEqualTo(100);

        try (RedisSessionStore relaxed = relaxedStore(clock)) {
            relaxed.load(r.id());
            Map<String, Long> start = calls();
            for (int i = 0; i < 100; i++) {
                assertThat(relaxed.load(r.id())).isPresent();
            }
            assertThat(calls()).as("commands for 100 relaxed cached reads").isEqualTo(start);
        }
    }

    @Test
    void ownWrites_keepTheEntryWarm_andExactlyAsRedisHasIt() {
        SessionRecord r = create(Map.of("cart", "[0]", "user", "ann"));
        store.load(r.id());
        Map<String, Long> before = calls();
        for (int i = 1; i <= 20; i++) {
            clock.advance(Duration.ofSeconds(1));
            SessionRecord loaded = store.load(r.id()).orElseThrow();
            assertThat(text(loaded.attributes().get("cart"))).isEqualTo("[" + (i - 1) + "]");
            store.save(change(loaded)
                    .accessedAt(clock.instant())
                    .set("cart", bytes("[" + i + "]"))
                    .build());
        }
        Map<String, Long> after = calls();
        assertThat(after.getOrDefault("hgetall", 0L) - before.getOrDefault("hgetall", 0L))
                .as("whole-hash reads across 20 requests that each changed the session")
                .isZero();
        SessionRecord cached = store.load(r.id()).orElseThrow();
        try (RedisSessionStore plain =
                RedisSessionStore.builder(server.uri()).clock(clock).build()) {
            SessionRecord truth = plain.load(r.id()).orElseThrow();
            assertThat(cached.version()).isEqualTo(truth.version());
            assertThat(cached.lastAccessedAt()).isEqualTo(truth.lastAccessedAt());
            assertThat(cached.attributes().keySet())
                    .isEqualTo(truth.attributes().keySet());
            assertThat(text(cached.attributes().get("cart")))
                    .isEqualTo(text(truth.attributes().get("cart")));
        }
    }

    @Test
    void aLostConnection_emptiesTheCache_andTrackingResumesAfterReconnect() throws Exception {
        try (RedisSessionStore relaxed = relaxedStore(clock);
                RedisSessionStore writer = nodeStore(clock)) {
            SessionRecord r = create(Map.of("cart", "[1]"));
            relaxed.load(r.id());
            killClientConnections();
            Await.until(
                    WAIT,
                    () -> {
                        try {
                            return relaxed.load(r.id()).isPresent()
                                    && writer.load(r.id()).isPresent();
                        } catch (RuntimeException reconnecting) {
                            return false;
                        }
                    },
                    "both stores to read the session again after their connections were killed");
            // After the reconnect, tracking is on again: a write from elsewhere reaches the cache.
            writer.save(change(r).set("cart", bytes("[10]")).build());
            Await.until(
                    WAIT,
                    () -> text(relaxed.load(r.id()).orElseThrow().attributes().get("cart")),
                    "[10]"::equals,
                    "the near-cache to see the write from elsewhere once tracking is back");
        }
    }

    @Test
    void loadsOfAbsentAndUnreadableSessions_leaveNoReadTicketBehind() {
        RedisSessionStore near = (RedisSessionStore) store;
        int absent = 10_000;
        for (int i = 0; i < absent; i++) {
            assertThat(near.load(SessionId.random())).isEmpty();
        }
        int unreadable = 100;
        RedisClient client = RedisClient.create(server.uri());
        try (StatefulRedisConnection<String, String> c = client.connect()) {
            for (int i = 0; i < unreadable; i++) {
                SessionId id = SessionId.random();
                c.sync().hset(near.keyOf(id), "a:x", "a hash with no metadata");
                org.assertj.core.api.Assertions.assertThatThrownBy(() -> near.load(id))
                        .isInstanceOf(dev.satchel.core.SessionDataException.class);
            }
        } finally {
            client.shutdown();
        }
        System.out.printf(
                "near-cache: %d tickets held after %d loads of absent and %d of unreadable sessions%n",
                near.nearCacheTickets(), absent, unreadable);
        assertThat(near.nearCacheTickets()).as("read tickets still held").isZero();
    }

    /** Commands the server executed so far, by name, from {@code INFO commandstats}. */
    private static Map<String, Long> calls() {
        RedisClient client = RedisClient.create(server.uri());
        try (StatefulRedisConnection<String, String> c = client.connect()) {
            Map<String, Long> counts = new java.util.TreeMap<>();
            for (String line : c.sync().info("commandstats").split("\r?\n")) {
                if (line.startsWith("cmdstat_")) {
                    int at = line.indexOf("calls=") + 6;
                    String name = line.substring("cmdstat_".length(), line.indexOf(':'));
                    if (!name.equals("info") && !name.equals("hello") && !name.startsWith("client")) {
                        counts.put(name, Long.parseLong(line.substring(at, line.indexOf(',', at))));
                    }
                }
            }
            return counts;
        } finally {
            client.shutdown();
        }
    }

    private static void killClientConnections() {
        RedisClient client = RedisClient.create(server.uri());
        try (StatefulRedisConnection<String, String> c = client.connect()) {
            c.sync().clientKill(io.lettuce.core.KillArgs.Builder.typeNormal().skipme());
        } finally {
            client.shutdown();
        }
    }
}
