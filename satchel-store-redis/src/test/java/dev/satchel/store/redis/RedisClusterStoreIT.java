package dev.satchel.store.redis;

import static org.assertj.core.api.Assertions.assertThat;

import dev.satchel.core.PrincipalChange;
import dev.satchel.core.SessionId;
import dev.satchel.core.SessionRecord;
import dev.satchel.core.SessionStore;
import dev.satchel.core.SessionStoreContract;
import dev.satchel.core.SessionStoreUnavailableException;
import dev.satchel.testkit.Await;
import dev.satchel.testkit.LocalRedisServer;
import dev.satchel.testkit.RedisClusterNodes;
import java.nio.file.Files;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
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
    protected boolean expectsConditionalSaves() {
        return true;
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

    /** Two stores on one key prefix, standing in for two app nodes. */
    private IdChangeRaces races(String prefix) {
        return new IdChangeRaces(
                RedisSessionStore.builder(cluster.uri())
                        .clock(clock)
                        .keyPrefix(prefix)
                        .build(),
                RedisSessionStore.builder(cluster.uri())
                        .clock(clock)
                        .keyPrefix(prefix)
                        .build(),
                clock);
    }

    private static long scard(String key) {
        io.lettuce.core.cluster.RedisClusterClient client = io.lettuce.core.cluster.RedisClusterClient.create(
                "redis://127.0.0.1:" + cluster.nodes().get(0).port());
        try (var c = client.connect()) {
            return c.sync().scard(key);
        } finally {
            client.shutdown();
        }
    }

    // Old and new id hash to different slots here, so an id change is two scripts (see
    // RedisSessionStore): the promises are the same as on one server.

    @Test
    void idChange_aLoginSubmittedTwice_leavesExactlyOneLiveId_andOneIndexedId() throws Exception {
        String prefix = "race" + System.nanoTime() + ":";
        int trials = 200;
        try (IdChangeRaces races = races(prefix)) {
            IdChangeRaces.DoubleLogins got = races.doubleLogins(trials, "ann");
            long indexed = scard(prefix + "p:{ann}");
            System.out.printf(
                    "cluster double login: %d of %d left two live ids, %d none; %d ids indexed for ann%n",
                    got.withTwoLiveIds(), trials, got.withNoLiveId(), indexed);
            assertThat(got.withTwoLiveIds()).as("trials that left two live ids").isZero();
            assertThat(got.withNoLiveId()).as("trials that left no live id").isZero();
            assertThat(indexed).as("ids indexed for the user").isEqualTo(trials);
        }
    }

    @Test
    void idChange_aSaveToTheOldIdDuringARename_isMovedAlongOrGone() throws Exception {
        int trials = 200;
        try (IdChangeRaces races = races("race" + System.nanoTime() + ":")) {
            IdChangeRaces.SavesDuringRename got = races.savesToTheOldIdDuringARename(trials, 8);
            System.out.printf(
                    "cluster saves to the old id during a rename: %d of %d acknowledged saves lost, in %d of %d trials%n",
                    got.lost(), got.acknowledged(), got.trialsWithALoss(), trials);
            assertThat(got.lost())
                    .as("acknowledged saves missing from the renamed session")
                    .isZero();
        }
    }

    @Test
    void idChange_aLogoutDuringARename_isNeverUndone() throws Exception {
        int trials = 200;
        try (IdChangeRaces races = races("race" + System.nanoTime() + ":")) {
            IdChangeRaces.LogoutsDuringRename got = races.logoutsDuringARename(trials);
            System.out.printf(
                    "cluster logout during a rename: %d of %d logouts undone, %d sessions lost; the logout came first in %d%n",
                    got.logoutsUndone(), trials, got.sessionsLost(), got.logoutsThatWon());
            assertThat(got.logoutsUndone())
                    .as("logouts that reported a deletion, yet the session lives on")
                    .isZero();
            assertThat(got.sessionsLost())
                    .as("renames that reported success, yet no id is live")
                    .isZero();
        }
    }

    @Test
    void index_loginLogoutCycles_andPrincipalChanges_leaveNoDeadMember() {
        String prefix = "idx" + System.nanoTime() + ":";
        int cycles = 200;
        try (RedisSessionStore s = RedisSessionStore.builder(cluster.uri())
                .clock(clock)
                .keyPrefix(prefix)
                .build()) {
            for (int i = 0; i < cycles; i++) {
                SessionId id = SessionId.random();
                s.save(newSession(id).principal(PrincipalChange.to("bea")).build());
                s.delete(id);
            }
            long dead = scard(prefix + "p:{bea}");
            System.out.printf("cluster index after %d login/logout cycles: %d dead members%n", cycles, dead);
            assertThat(dead).as("members left in the index").isZero();
            SessionId id = SessionId.random();
            s.save(newSession(id).principal(PrincipalChange.to("bea")).build());
            SessionRecord r = s.load(id).orElseThrow();
            s.save(change(r).principal(PrincipalChange.to("cy")).build());
            SessionId renamed = SessionId.random();
            s.save(change(r).changeId(renamed).build());
            assertThat(scard(prefix + "p:{bea}")).isZero();
            assertThat(scard(prefix + "p:{cy}")).isEqualTo(1);
            assertThat(s.findByPrincipal("cy")).extracting(SessionRecord::id).containsExactly(renamed);
        }
    }

    @Test
    void zz_killedMaster_itsReplicaTakesOver_andEverySessionWrittenWithWaitStaysReadable() throws Exception {
        try (RedisSessionStore durable = RedisSessionStore.builder(cluster.uri())
                .clock(clock)
                .timeout(Duration.ofSeconds(1))
                .waitForReplicas(1)
                .waitForReplicasTimeout(Duration.ofMillis(500))
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

    /** Loads {@code id}, retrying for up to 30 s while the store still finds no master for its slot. */
    private static Optional<SessionRecord> loadThroughFailover(RedisSessionStore store, SessionId id) {
        return Await.until(
                        Duration.ofSeconds(30),
                        () -> {
                            try {
                                return Optional.of(store.load(id));
                            } catch (SessionStoreUnavailableException notYet) {
                                return Optional.<Optional<SessionRecord>>empty();
                            }
                        },
                        Optional::isPresent,
                        "the store to answer for " + id.value() + " after the failover")
                .orElseThrow();
    }
}
