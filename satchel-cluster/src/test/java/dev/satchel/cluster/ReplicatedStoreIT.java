package dev.satchel.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import dev.satchel.core.SessionId;
import dev.satchel.core.SessionRecord;
import dev.satchel.core.SessionStore;
import dev.satchel.core.SessionStoreContract;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The store contract on a three-node replicated cluster inside this JVM (JGroups' shared loopback),
 * the store under test being one of the three; then what replication itself promises.
 */
class ReplicatedStoreIT extends SessionStoreContract {
    private final List<ReplicatedSessionStore> others = new ArrayList<>();
    private String cluster;

    private ReplicatedSessionStore node(Clock clock, String name, Replication mode) {
        return ReplicatedSessionStore.builder(cluster)
                .config("dev/satchel/cluster/loopback.xml")
                .nodeName(name)
                .mode(mode)
                .clock(clock)
                .build();
    }

    @Override
    protected SessionStore createStore(Clock clock) {
        cluster = "satchel-it-" + UUID.randomUUID();
        ReplicatedSessionStore a = node(clock, "a", Replication.SYNC);
        others.add(node(clock, "b", Replication.SYNC));
        others.add(node(clock, "c", Replication.SYNC));
        return a;
    }

    @AfterEach
    void closeOthers() {
        others.forEach(ReplicatedSessionStore::close);
        others.clear();
    }

    @Override
    protected void reclaimExpired(SessionStore store) {
        ((ReplicatedSessionStore) store).expireDue();
    }

    @Test
    void aSyncSave_isOnEveryNode_whenItReturns() {
        assertThat(((ReplicatedSessionStore) store).members()).hasSize(3);
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
    void aNodeThatJoinsWhileSessionsChange_endsWithTheSameCopies() throws Exception {
        List<ReplicatedSessionStore> writers = List.of((ReplicatedSessionStore) store, others.get(0));
        WritesDuringJoin writes = new WritesDuringJoin(
                writers, 3, 20, (r, value) -> change(r).set("n", bytes(value)).build(), id -> newSession(id)
                        .set("n", bytes("0"))
                        .build());
        ReplicatedSessionStore late;
        try (writes) {
            TimeUnit.MILLISECONDS.sleep(200);
            late = node(clock, "late", Replication.SYNC);
            others.add(late);
            TimeUnit.MILLISECONDS.sleep(300);
        }
        // Sessions passed on after a view change travel in the background: give them a moment.
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        List<String> wrong;
        do {
            wrong = new ArrayList<>();
            for (Map.Entry<SessionId, String> e : writes.expected.entrySet()) {
                for (ReplicatedSessionStore node :
                        List.of((ReplicatedSessionStore) store, others.get(0), others.get(1), late)) {
                    String copy = node.load(e.getKey())
                            .map(r -> WritesDuringJoin.text(r.attributes().get("n")))
                            .orElse("<missing>");
                    if (!copy.equals(e.getValue())) {
                        wrong.add(
                                node.members().size() + " " + e.getKey() + ": " + copy + " instead of " + e.getValue());
                    }
                }
            }
        } while (!wrong.isEmpty() && System.nanoTime() < deadline && sleep());
        assertThat(writes.expected).hasSize(120);
        assertThat(wrong)
                .as("copies that differ from the last acknowledged save")
                .isEmpty();
    }

    private static boolean sleep() throws InterruptedException {
        TimeUnit.MILLISECONDS.sleep(50);
        return true;
    }

    @Test
    void onlyTheChangedAttributesTravel() {
        ReplicatedSessionStore a = (ReplicatedSessionStore) store;
        SessionRecord r = create(Map.of("big", "x".repeat(10_000), "small", "1"));
        Map<String, Long> before = a.counters();
        store.save(
                change(r).set("small", bytes("2")).accessedAt(clock.instant()).build());
        Map<String, Long> after = a.counters();
        assertThat(after.get("savesSent") - before.get("savesSent")).isEqualTo(1);
        assertThat(after.get("bytesSent") - before.get("bytesSent"))
                .as("bytes for a one-byte change: the id (43), its name and value, times")
                .isLessThan(80);
    }

    @Test
    void asyncMode_otherNodesCatchUp() throws Exception {
        cluster = "satchel-async-" + UUID.randomUUID();
        try (ReplicatedSessionStore x = node(clock, "x", Replication.ASYNC);
                ReplicatedSessionStore y = node(clock, "y", Replication.ASYNC)) {
            SessionId id = SessionId.random();
            assertThat(x.save(newSession(id).set("k", bytes("v")).build())).isEqualTo(SessionStore.SaveOutcome.CREATED);
            assertThat(x.load(id)).as("the writer reads its own write at once").isPresent();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            while (y.load(id).isEmpty() && System.nanoTime() < deadline) {
                TimeUnit.MILLISECONDS.sleep(10);
            }
            assertThat(y.load(id)).isPresent();
        }
    }

    private ReplicatedSessionStore holdingNode(String name) {
        return ReplicatedSessionStore.builder(cluster)
                .config("dev/satchel/cluster/loopback-hold.xml")
                .nodeName(name)
                .mode(Replication.ASYNC)
                .clock(clock)
                .build();
    }

    /**
     * The race of a save sent in one view and received in the next, made to happen: b's save leaves
     * while c is not yet a member, so it goes to a alone; a receives it late, after it gave the
     * joining c its state. a must pass the session on to c.
     */
    @Test
    void aSaveSentBeforeAJoin_thatArrivesAfterTheJoinersState_isPassedOnToTheJoiner() throws Exception {
        cluster = "satchel-race-" + UUID.randomUUID();
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
        cluster = "satchel-race-" + UUID.randomUUID();
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
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            while (atC.savesPassedFrom(a) == 0 && System.nanoTime() < deadline) {
                TimeUnit.MILLISECONDS.sleep(5);
            }
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

    /**
     * Copies expire together: a touch made through one node moves the last access on every copy,
     * so no node reclaims a session another keeps alive; once the idle window passes untouched,
     * every node reclaims its copy.
     */
    @Test
    void copiesExpireTogether_aTouchThroughOneNodeKeepsEveryCopyAlive() {
        List<ReplicatedSessionStore> nodes = new ArrayList<>();
        nodes.add((ReplicatedSessionStore) store);
        nodes.addAll(others);
        SessionRecord r = create(Map.of("cart", "1 item"));
        java.time.Duration idle = r.maxInactiveInterval();
        clock.advance(idle.multipliedBy(2).dividedBy(3));
        ReplicatedSessionStore toucher = others.get(0);
        toucher.save(change(toucher.load(r.id()).orElseThrow())
                .accessedAt(clock.instant())
                .build());
        clock.advance(idle.multipliedBy(2).dividedBy(3)); // past the first window, within the touched one
        int copies = 0;
        for (ReplicatedSessionStore node : nodes) {
            node.expireDue();
            copies += node.load(r.id()).isPresent() ? 1 : 0;
        }
        assertThat(copies).as("copies alive after the touch").isEqualTo(3);
        clock.advance(idle);
        for (ReplicatedSessionStore node : nodes) {
            node.expireDue();
            assertThat(node.load(r.id())).as("a copy past the idle window").isEmpty();
        }
    }

    @Override
    protected Duration eventTimeout() {
        return Duration.ofSeconds(5);
    }
}
