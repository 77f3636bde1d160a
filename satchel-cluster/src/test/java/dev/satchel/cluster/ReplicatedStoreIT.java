package dev.satchel.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import dev.satchel.core.SessionId;
import dev.satchel.core.SessionRecord;
import dev.satchel.testkit.Await;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The cluster-store contract on a three-node replicated cluster inside this JVM (JGroups' shared
 * loopback), the store under test being one of the three; then what only all-to-all replication
 * promises: every node has every save, joiners get every session, and the races around a join.
 */
class ReplicatedStoreIT extends ClusterStoreContract<ReplicatedSessionStore> {

    @Override
    ClusterStoreBuilder<?, ReplicatedSessionStore> builder(String name) {
        return ReplicatedSessionStore.builder(name);
    }

    @Override
    Optional<SessionRecord> heldCopy(ReplicatedSessionStore node, SessionId id) {
        return node.load(id);
    }

    @Override
    List<String> members(ReplicatedSessionStore node) {
        return node.members();
    }

    @Override
    int expireDue(ReplicatedSessionStore node) {
        return node.expireDue();
    }

    @Override
    List<String> replicasOf(SessionId id, List<String> names) {
        return names; // every node holds every session
    }

    @Test
    void aSyncSave_isOnEveryNode_whenItReturns() {
        assertThat((a()).members()).hasSize(3);
        for (int i = 0; i < 50; i++) {
            SessionRecord r = create(Map.of("n", Integer.toString(i)));
            for (ReplicatedSessionStore other : others) {
                SessionRecord copy = other.load(r.id()).orElseThrow();
                assertThat(text(copy.attributes().get("n"))).isEqualTo(Integer.toString(i));
            }
            store.save(change(r).set("n", bytes("changed")).build());
            for (ReplicatedSessionStore other : others) {
                assertThat(text(other.load(r.id()).orElseThrow().attributes().get("n")))
                        .isEqualTo("changed");
            }
        }
        store.save(change(store.load(create(Map.of()).id()).orElseThrow())
                .invalidated()
                .build());
    }

    @Test
    void aNodeThatJoinsLater_receivesEverySession() {
        List<SessionId> ids = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            ids.add(create(Map.of("n", Integer.toString(i))).id());
        }
        try (ReplicatedSessionStore late = node(clock, "late", Replication.SYNC)) {
            assertThat(late.size()).isEqualTo(200);
            for (SessionId id : ids) {
                assertThat(late.load(id)).isPresent();
            }
            SessionRecord r = store.load(ids.get(0)).orElseThrow();
            late.save(change(r).set("from", bytes("late")).build());
            assertThat(store.load(r.id()).orElseThrow().attributes()).containsKey("from");
        }
    }

    @Test
    void onlyTheChangedAttributesTravel() {
        ReplicatedSessionStore a = a();
        SessionRecord r = create(Map.of("big", "x".repeat(10_000), "small", "1"));
        Map<String, Long> before = a.counters();
        store.save(
                change(r).set("small", bytes("2")).accessedAt(clock.instant()).build());
        Map<String, Long> after = a.counters();
        assertThat(after.get("saves_sent") - before.get("saves_sent")).isEqualTo(1);
        assertThat(after.get("bytes_sent") - before.get("bytes_sent"))
                .as("bytes for a one-byte change: the id (43), its name and value, times")
                .isLessThan(80);
    }

    /**
     * The race of a save sent in one view and received in the next, made to happen: b's save leaves
     * while c is not yet a member, so it goes to a alone; a receives it late, after it gave the
     * joining c its state. a must pass the session on to c.
     */
    @Test
    void aSaveSentBeforeAJoin_thatArrivesAfterTheJoinersState_isPassedOnToTheJoiner() throws Exception {
        newCluster("race");
        String a = "a-" + UUID.randomUUID();
        String b = "b-" + UUID.randomUUID();
        String c = "c-" + UUID.randomUUID();
        try (ReplicatedSessionStore nodeA = holdingNode(a);
                ReplicatedSessionStore nodeB = holdingNode(b)) {
            SessionId id = SessionId.random();
            nodeB.save(newSession(id).set("cart", bytes("1 item")).build());
            CartCopies.awaitCart(() -> nodeA.load(id), "1 item", "a's copy before the race");
            HoldBack.of(a).hold(HoldBack.savesFrom(b));
            nodeB.save(change(nodeB.load(id).orElseThrow())
                    .set("cart", bytes("2 items"))
                    .build());
            HoldBack.of(a).awaitHeld(1, 5);
            try (ReplicatedSessionStore nodeC = holdingNode(c)) {
                assertThat(CartCopies.cart(nodeC.load(id)))
                        .as("the joiner's state, taken from a before b's save reached a")
                        .isEqualTo("1 item");
                HoldBack.of(a).release();
                CartCopies.awaitCart(
                        () -> nodeC.load(id),
                        "2 items",
                        "the joiner's copy once a received the save sent before the join");
                CartCopies.awaitCart(() -> nodeA.load(id), "2 items", "a's copy");
            }
        }
    }

    /** A session id in the first page of a joiner's pull: the one page the test can hold back. */
    private static SessionId inFirstPage() {
        while (true) {
            SessionId id = SessionId.random();
            if (new PullPage(0, PullPage.COUNT).holds(id)) {
                return id;
            }
        }
    }

    /**
     * The other side of a join: a save sent after the join reaches the joiner before the page of
     * its pull that holds the session, which was read earlier. Applying the save first and the
     * older copy over it would undo the save; the joiner holds the save until its pull is done.
     */
    @Test
    void aSaveThatReachesAJoinerBeforeItsPull_isAppliedAfterThePull() throws Exception {
        newCluster("race");
        String a = "a-" + UUID.randomUUID();
        String c = "c-" + UUID.randomUUID();
        java.util.concurrent.ExecutorService joiner = java.util.concurrent.Executors.newSingleThreadExecutor();
        try (ReplicatedSessionStore nodeA = holdingNode(a)) {
            SessionId id = inFirstPage();
            nodeA.save(newSession(id).set("cart", bytes("1 item")).build());
            HoldBack.holdOnStart(c, HoldBack.pullAnswersFrom(a));
            java.util.concurrent.Future<ReplicatedSessionStore> joining = joiner.submit(() -> holdingNode(c));
            HoldBack atC = HoldBack.awaitStarted(c, 10);
            atC.awaitHeld(1, 10); // a answered the first page of the pull; c has not received it
            assertThat(nodeA.members()).hasSize(2);
            nodeA.save(change(nodeA.load(id).orElseThrow())
                    .set("cart", bytes("2 items"))
                    .build());
            Await.until(Duration.ofSeconds(5), () -> atC.savesPassedFrom(a), n -> n > 0, "a's save to reach c's store");
            assertThat(atC.savesPassedFrom(a)).as("a's save reached c's store").isEqualTo(1);
            atC.release();
            try (ReplicatedSessionStore nodeC = joining.get(10, TimeUnit.SECONDS)) {
                assertThat(CartCopies.cart(nodeC.load(id)))
                        .as("the joiner's copy: the save that came before the older page")
                        .isEqualTo("2 items");
            }
        } finally {
            joiner.shutdownNow();
        }
    }
}
