package dev.satchel.store.redis;

import static org.assertj.core.api.Assertions.assertThat;

import dev.satchel.core.PrincipalChange;
import dev.satchel.core.SessionId;
import dev.satchel.core.SessionRecord;
import dev.satchel.core.SessionStore;
import dev.satchel.core.SessionStoreContract;
import dev.satchel.core.SessionStoreUnavailableException;
import java.nio.file.Files;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The store contract on a six-node Redis Cluster (three masters, three replicas), then a master
 * killed under it. Runs last in the class, since it takes a node away.
 */
@org.junit.jupiter.api.TestMethodOrder(org.junit.jupiter.api.MethodOrderer.MethodName.class)
class RedisClusterStoreIT extends SessionStoreContract {
    private static RedisClusterNodes cluster;

    @BeforeAll
    static void startCluster() throws Exception {
        cluster = RedisClusterNodes.start(Files.createTempDirectory("satchel-redis-cluster"));
    }

    @AfterAll
    static void stopCluster() {
        if (cluster != null) {
            cluster.close();
        }
    }

    @Override
    protected SessionStore createStore(Clock clock) {
        return RedisSessionStore.builder(cluster.uri())
                .clock(clock)
                .keyPrefix("t" + System.nanoTime() + ":")
                .build();
    }

    @Override
    protected void reclaimExpired(SessionStore store) {
        // Redis reclaims by TTL on its own clock; the fake clock's expiry is enforced on read.
    }

    @Test
    void sessionsSpreadOverEveryMaster_andAnIdChangeCrossesSlots() {
        List<Integer> masters = new ArrayList<>();
        for (int i = 0; i < 30; i++) {
            SessionRecord r = create(Map.of("i", Integer.toString(i)));
            masters.add(cluster.masterOf("{" + r.id().value() + "}").port());
            SessionId renamed = SessionId.random();
            assertThat(store.save(change(r)
                            .changeId(renamed)
                            .principal(PrincipalChange.to("user" + (i % 3)))
                            .build()))
                    .isEqualTo(SessionStore.SaveOutcome.UPDATED);
            assertThat(store.load(renamed).orElseThrow().attributes()).containsKey("i");
            assertThat(store.load(r.id())).isEmpty();
        }
        assertThat(masters.stream().distinct().count())
                .as("masters that hold sessions")
                .isEqualTo(3);
        assertThat(((RedisSessionStore) store).findByPrincipal("user1")).hasSize(10);
    }

    @Test
    void zz_killedMaster_itsReplicaTakesOver_andEverySessionWrittenWithWaitStaysReadable() throws Exception {
        try (RedisSessionStore durable = RedisSessionStore.builder(cluster.uri())
                .clock(clock)
                .commandTimeout(Duration.ofSeconds(1))
                .waitForReplicas(1, Duration.ofMillis(500))
                .build()) {
            List<SessionId> ids = new ArrayList<>();
            for (int i = 0; i < 60; i++) {
                SessionId id = SessionId.random();
                durable.save(newSession(id).set("n", bytes(Integer.toString(i))).build());
                ids.add(id);
            }
            LocalRedisServer victim = cluster.masterOf("{" + ids.get(0).value() + "}");
            victim.kill();
            cluster.awaitState("ok", 30);
            for (int i = 0; i < ids.size(); i++) {
                Optional<SessionRecord> r = loadThroughFailover(durable, ids.get(i));
                assertThat(r).as("session %d after the failover", i).isPresent();
                assertThat(text(r.get().attributes().get("n"))).isEqualTo(Integer.toString(i));
            }
        }
    }

    private static Optional<SessionRecord> loadThroughFailover(RedisSessionStore store, SessionId id)
            throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (true) {
            try {
                return store.load(id);
            } catch (SessionStoreUnavailableException e) {
                if (System.nanoTime() > deadline) {
                    throw e;
                }
                TimeUnit.MILLISECONDS.sleep(100);
            }
        }
    }
}
