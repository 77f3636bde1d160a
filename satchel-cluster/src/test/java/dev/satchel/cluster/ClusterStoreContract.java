package dev.satchel.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import dev.satchel.core.ReportingStore;
import dev.satchel.core.SessionId;
import dev.satchel.core.SessionRecord;
import dev.satchel.core.SessionStore;
import dev.satchel.core.SessionStoreContract;
import dev.satchel.testkit.Await;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * What both cluster stores promise, asserted once for both: the store contract on a three-node
 * cluster in this JVM (JGroups' shared loopback), the store under test being node {@code a} of the
 * three; then copies that expire together, joins while sessions change, the asynchronous mode and
 * the counters. Each store's own test adds what only its strategy promises, with the fixtures
 * here: {@link #node}, {@link #holdingNode} (loopback-hold.xml, for races made to happen), {@link
 * #awaitMembers}.
 *
 * @param <S> the store
 */
abstract class ClusterStoreContract<S extends ReportingStore & AutoCloseable> extends SessionStoreContract {
    /** The other two nodes of the cluster, {@code b} and {@code c}, and any a test adds. */
    protected final List<S> others = new ArrayList<>();
    /** This test's cluster name: each test runs a cluster of its own. */
    protected String cluster;

    /** A builder of the store under test for cluster {@code name}. */
    abstract ClusterStoreBuilder<?, S> builder(String name);

    /** The node's own copy of a session, if it holds one: no hop, no pull. */
    abstract Optional<SessionRecord> heldCopy(S node, SessionId id);

    abstract List<String> members(S node);

    abstract int expireDue(S node);

    /** Which of the nodes named {@code names} hold a copy of a session, the owner (if any) first. */
    abstract List<String> replicasOf(SessionId id, List<String> names);

    /** A node of this test's cluster. */
    S node(Clock clock, String name, Replication mode) {
        return builder(cluster)
                .config("dev/satchel/cluster/loopback.xml")
                .nodeName(name)
                .mode(mode)
                .clock(clock)
                .build();
    }

    /** A node whose incoming messages a test can hold back ({@link HoldBack}); asynchronous saves. */
    S holdingNode(String name) {
        return builder(cluster)
                .config("dev/satchel/cluster/loopback-hold.xml")
                .nodeName(name)
                .mode(Replication.ASYNC)
                .timeout(Duration.ofSeconds(5))
                .clock(clock)
                .build();
    }

    /** Starts a cluster of its own for a test that builds its nodes itself. */
    void newCluster(String kind) {
        cluster = "satchel-" + kind + "-" + UUID.randomUUID();
    }

    @Override
    protected SessionStore createStore(Clock clock) {
        newCluster("contract");
        S a = node(clock, "a", Replication.SYNC);
        others.add(node(clock, "b", Replication.SYNC));
        others.add(node(clock, "c", Replication.SYNC));
        return a;
    }

    @SuppressWarnings("unchecked")
    S a() {
        return (S) store;
    }

    @AfterEach
    void closeOthers() throws Exception {
        for (S other : others) {
            other.close();
        }
        others.clear();
    }

    @Override
    protected void reclaimExpired(SessionStore store) {
        expireDue(a());
        others.forEach(this::expireDue);
    }

    @Override
    protected Duration eventTimeout() {
        return Duration.ofSeconds(5);
    }

    void awaitMembers(S node, int n) {
        Await.until(
                Duration.ofSeconds(10), () -> members(node), view -> view.size() == n, "a view of " + n + " members");
    }

    /**
     * Copies expire together: a touch made through one node moves the last access on every copy,
     * so no node reclaims a session another keeps alive; once the idle window passes untouched,
     * every node reclaims its copy.
     */
    @Test
    void copiesExpireTogether_aTouchThroughOneNodeKeepsEveryCopyAlive() {
        List<S> nodes = new ArrayList<>();
        nodes.add(a());
        nodes.addAll(others);
        SessionRecord r = create(Map.of("cart", "1 item"));
        Duration idle = r.maxInactiveInterval();
        clock.advance(idle.multipliedBy(2).dividedBy(3));
        S toucher = others.get(0);
        toucher.save(change(toucher.load(r.id()).orElseThrow())
                .accessedAt(clock.instant())
                .build());
        clock.advance(idle.multipliedBy(2).dividedBy(3)); // past the first window, within the touched one
        int copies = 0;
        for (S node : nodes) {
            expireDue(node);
            copies += heldCopy(node, r.id()).isPresent() ? 1 : 0;
        }
        assertThat(copies)
                .as("copies alive after the touch")
                .isEqualTo(replicasOf(r.id(), List.of("a", "b", "c")).size());
        clock.advance(idle);
        for (S node : nodes) {
            expireDue(node);
            assertThat(heldCopy(node, r.id())).as("a copy past the idle window").isEmpty();
        }
    }

    /**
     * Writers keep changing sessions on two nodes while a fourth joins: afterwards every node that
     * should hold a session holds its last acknowledged value, and no other node holds it.
     */
    @Test
    void aNodeThatJoinsWhileSessionsChange_endsWithTheSameCopiesOnEveryReplica() throws Exception {
        awaitMembers(a(), 3);
        WritesDuringJoin writes = new WritesDuringJoin(
                List.of(a(), others.get(0)),
                3,
                20,
                (r, value) -> change(r).set("n", bytes(value)).build(),
                id -> newSession(id).set("n", bytes("0")).build());
        S late;
        try (writes) {
            TimeUnit.MILLISECONDS.sleep(200);
            late = node(clock, "late", Replication.SYNC);
            others.add(late);
            TimeUnit.MILLISECONDS.sleep(300);
        }
        Map<String, S> byName = new LinkedHashMap<>();
        byName.put("a", a());
        byName.put("b", others.get(0));
        byName.put("c", others.get(1));
        byName.put("late", late);
        assertThat(writes.expected).hasSize(120);
        // Copies moved after a view change travel in the background: give them a moment.
        Await.until(
                Duration.ofSeconds(5),
                () -> wrongCopies(writes.expected, byName),
                List::isEmpty,
                "every replica to hold the last acknowledged save, and no other node a copy");
    }

    /** What differs from the last acknowledged saves, one line per copy; empty when all agree. */
    private List<String> wrongCopies(Map<SessionId, String> expected, Map<String, S> byName) {
        List<String> wrong = new ArrayList<>();
        for (Map.Entry<SessionId, String> e : expected.entrySet()) {
            List<String> replicas = replicasOf(e.getKey(), List.copyOf(byName.keySet()));
            for (Map.Entry<String, S> node : byName.entrySet()) {
                Optional<SessionRecord> copy = heldCopy(node.getValue(), e.getKey());
                if (replicas.contains(node.getKey())) {
                    String value = copy.map(
                                    r -> WritesDuringJoin.text(r.attributes().get("n")))
                            .orElse("<missing>");
                    if (!value.equals(e.getValue())) {
                        wrong.add(node.getKey() + " holds " + value + " instead of " + e.getValue());
                    }
                } else if (copy.isPresent()) {
                    wrong.add(node.getKey() + " still holds a session it no longer ranks for");
                }
            }
        }
        return wrong;
    }

    /**
     * In the asynchronous mode a save made on a node holding a copy returns once applied there,
     * and the other copy follows shortly after.
     */
    @Test
    void asyncMode_theWriterHasItAtOnce_andTheOtherCopyCatchesUp() throws Exception {
        newCluster("async");
        try (S x = node(clock, "x", Replication.ASYNC);
                S y = node(clock, "y", Replication.ASYNC)) {
            awaitMembers(x, 2);
            awaitMembers(y, 2);
            for (int i = 0; i < 20; i++) {
                SessionId id = SessionId.random();
                boolean xFirst = replicasOf(id, List.of("x", "y")).get(0).equals("x");
                S writer = xFirst ? x : y;
                S other = xFirst ? y : x;
                assertThat(writer.save(newSession(id).set("k", bytes("v" + i)).build()))
                        .isEqualTo(SessionStore.SaveOutcome.CREATED);
                assertThat(heldCopy(writer, id))
                        .as("applied here before answering")
                        .isPresent();
                String expected = "v" + i;
                Await.until(
                        Duration.ofSeconds(5),
                        () -> heldCopy(other, id).map(r -> text(r.attributes().get("k"))),
                        copy -> copy.equals(Optional.of(expected)),
                        "the other copy to hold " + expected + ", shortly after");
            }
        }
    }

    /** The counters every cluster store reports, by their documented names. */
    @Test
    void countersReportCopiesTombstonesAndMembers() throws Exception {
        awaitMembers(a(), 3);
        SessionRecord kept = create(Map.of("cart", "1 item"));
        SessionRecord ended = create(Map.of("cart", "2 items"));
        assertThat(store.delete(ended.id())).isTrue();
        long held = 0;
        long tombstones = 0;
        List<S> nodes = new ArrayList<>(others);
        nodes.add(a());
        for (S node : nodes) {
            Map<String, Long> counters = node.counters();
            assertThat(counters).containsKeys("sessions_held", "tombstones", "members");
            assertThat(counters.get("members")).isEqualTo(3);
            held += counters.get("sessions_held");
            tombstones += counters.get("tombstones");
        }
        int copies = replicasOf(kept.id(), List.of("a", "b", "c")).size();
        assertThat(held).as("copies of the one live session").isEqualTo(copies);
        assertThat(tombstones).as("tombstones of the deleted one").isPositive();
    }
}
