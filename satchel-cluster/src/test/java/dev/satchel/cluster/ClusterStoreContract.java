package dev.satchel.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import dev.satchel.core.ChangeSet;
import dev.satchel.core.ExpectedValue;
import dev.satchel.core.ReportingStore;
import dev.satchel.core.SessionId;
import dev.satchel.core.SessionRecord;
import dev.satchel.core.SessionStore;
import dev.satchel.core.SessionStoreContract;
import dev.satchel.core.SessionStoreUnavailableException;
import dev.satchel.core.placement.Rendezvous;
import dev.satchel.testkit.Await;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * What both cluster stores promise, asserted once for both: the store contract on a three-node
 * cluster in this JVM (JGroups' shared loopback), the store under test being node {@code a} of the
 * three, whose conditional saves race with node {@code b}'s ({@link #peerStore()}); then copies that
 * expire together, joins while sessions change, the asynchronous mode, the counters, and
 * conditional saves racing from every node and meeting view changes. Each store's own test adds what only its strategy promises, with the fixtures
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
        return holdingNode(name, Replication.ASYNC);
    }

    /** As above, with saves made in {@code mode}. */
    S holdingNode(String name, Replication mode) {
        return builder(cluster)
                .config("dev/satchel/cluster/loopback-hold.xml")
                .nodeName(name)
                .mode(mode)
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

    @Override
    protected boolean expectsConditionalSaves() {
        return true;
    }

    /**
     * Another node of the cluster, so the contract's racing conditional saves cross nodes. Nodes
     * {@code a} and {@code b} cannot both decide one session, so at least one of the racing views
     * forwards its saves to the decider (in primary-backup, a non-owner).
     */
    @Override
    protected SessionStore peerStore() {
        return others.get(0);
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
            awaitMembers(node, 3); // each node's own view: one may install it after a's, on a busy machine
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

    // ---- conditional saves across nodes ------------------------------------------------------

    /**
     * Every node adds 1 to one counter 100 times by load, compute, conditional save and again on
     * conflict, all at once: the session's decider (primary-backup: its owner; replicated: the
     * first node of its ranking) orders them, so every copy ends at 300. Each node deciding on its
     * own copy would lose additions.
     */
    @Test
    void conditionalSaves_racingFromEveryNode_loseNothing_onAnyCopy() throws Exception {
        awaitMembers(a(), 3);
        SessionRecord r = create(Map.of("count", "0"));
        List<S> nodes = List.of(a(), others.get(0), others.get(1));
        int each = 100;
        ExecutorService pool = Executors.newFixedThreadPool(nodes.size());
        try {
            List<Future<?>> adders = new ArrayList<>();
            for (S node : nodes) {
                adders.add(pool.submit(() -> {
                    for (int i = 0; i < each; i++) {
                        addOne(node, r.id());
                    }
                    return null;
                }));
            }
            for (Future<?> adder : adders) {
                adder.get(120, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }
        List<String> names = List.of("a", "b", "c");
        List<String> replicas = replicasOf(r.id(), names);
        for (int i = 0; i < nodes.size(); i++) {
            if (replicas.contains(names.get(i))) {
                assertThat(heldCopy(nodes.get(i), r.id())
                                .map(c -> text(c.attributes().get("count"))))
                        .as("%s's copy", names.get(i))
                        .contains(Integer.toString(nodes.size() * each));
            }
        }
    }

    /**
     * A conditional save forwarded to the session's decider while a node joins and becomes the
     * decider, made to happen: w forwards it to a, a receives it only after c joined, so a no longer
     * decides and refuses; w asks again by its new view, and c applies it. Applied once: the
     * copies hold it, and the same save again conflicts.
     */
    @Test
    void aForwardThatMeetsAJoin_isRefused_thenDecidedOnceByTheNewDecider() throws Exception {
        newCluster("cas-join");
        String tag = "-" + UUID.randomUUID().toString().substring(0, 8);
        String a = "a" + tag;
        String b = "b" + tag;
        String w = "w" + tag;
        String c = "c" + tag;
        SessionId id = decidedBy(List.of(a, b, w), a, c);
        ExecutorService background = Executors.newCachedThreadPool();
        try (S nodeA = holdingNode(a);
                S nodeB = holdingNode(b);
                S nodeW = holdingNode(w)) {
            awaitMembers(nodeW, 3);
            nodeW.save(CartCopies.create(id, "0"));
            CartCopies.awaitCart(() -> heldCopy(nodeA, id), "0", "the decider's copy before the race");
            HoldBack.of(a).hold(HoldBack.pullAnswersFrom(w)); // w's requests that wait for an answer
            Future<SessionStore.SaveOutcome> forwarded = background.submit(() -> nodeW.save(cart(id, "0", "1")));
            HoldBack.of(a).awaitHeld(1, 5);
            try (S nodeC = holdingNode(c)) {
                awaitMembers(nodeW, 4);
                awaitMembers(nodeA, 4);
                CartCopies.awaitCart(() -> heldCopy(nodeC, id), "0", "the joiner's copy, pulled");
                HoldBack.of(a).release(); // a gets the forward only now, no longer the decider
                assertThat(forwarded.get(10, TimeUnit.SECONDS)).isEqualTo(SessionStore.SaveOutcome.UPDATED);
                List<S> all = List.of(nodeA, nodeB, nodeW, nodeC);
                List<String> names = List.of(a, b, w, c);
                for (String replica : replicasOf(id, names)) {
                    S node = all.get(names.indexOf(replica));
                    CartCopies.awaitCart(() -> heldCopy(node, id), "1", replica + "'s copy");
                }
                assertThat(nodeW.save(cart(id, "0", "1")))
                        .as("the same save once more: it was applied, so it conflicts")
                        .isEqualTo(SessionStore.SaveOutcome.CONFLICT);
            }
        } finally {
            background.shutdownNow();
        }
    }

    /**
     * A conditional save forwarded to the decider, which leaves before it gets it: the save fails
     * (its outcome could have been unknown, so it is not retried behind the caller's back), and
     * nothing was applied: the caller's next attempt, on the value it read, applies exactly once.
     */
    @Test
    void aForwardWhoseDeciderLeaves_failsCleanly_andWasNotApplied() throws Exception {
        newCluster("cas-leave");
        String tag = "-" + UUID.randomUUID().toString().substring(0, 8);
        String a = "a" + tag;
        String b = "b" + tag;
        String w = "w" + tag;
        SessionId id = decidedBy(List.of(a, b, w), a, null);
        ExecutorService background = Executors.newCachedThreadPool();
        try (S nodeB = holdingNode(b);
                S nodeW = holdingNode(w)) {
            S nodeA = holdingNode(a);
            awaitMembers(nodeW, 3);
            nodeW.save(CartCopies.create(id, "0"));
            CartCopies.awaitCart(() -> heldCopy(nodeA, id), "0", "the decider's copy before the race");
            HoldBack.of(a).hold(HoldBack.pullAnswersFrom(w)); // w's requests that wait for an answer
            Future<SessionStore.SaveOutcome> forwarded = background.submit(() -> nodeW.save(cart(id, "0", "1")));
            HoldBack.of(a).awaitHeld(1, 5);
            nodeA.close(); // the forward dies with it
            assertThat(failureOf(forwarded))
                    .as("the forward to a node that left")
                    .isInstanceOf(SessionStoreUnavailableException.class);
            awaitMembers(nodeW, 2);
            List<String> survivors = replicasOf(id, List.of(b, w));
            for (String replica : survivors) {
                S node = replica.equals(b) ? nodeB : nodeW;
                CartCopies.awaitCart(() -> heldCopy(node, id), "0", replica + "'s copy: nothing applied");
            }
            assertThat(nodeW.save(cart(id, "0", "1"))).isEqualTo(SessionStore.SaveOutcome.UPDATED);
            for (String replica : survivors) {
                S node = replica.equals(b) ? nodeB : nodeW;
                CartCopies.awaitCart(() -> heldCopy(node, id), "1", replica + "'s copy after the retry");
            }
        } finally {
            background.shutdownNow();
        }
    }

    /** Adds 1 to a counter by conditional save through one node, again on conflict. */
    private void addOne(SessionStore through, SessionId id) {
        for (int attempt = 0; attempt < 10_000; attempt++) {
            SessionRecord now = through.load(id).orElseThrow();
            byte[] current = now.attributes().get("count");
            SessionStore.SaveOutcome outcome = through.save(change(now)
                    .set("count", bytes(Integer.toString(Integer.parseInt(text(current)) + 1)))
                    .expect("count", ExpectedValue.of(current))
                    .build());
            if (outcome == SessionStore.SaveOutcome.UPDATED) {
                return;
            }
            assertThat(outcome).isEqualTo(SessionStore.SaveOutcome.CONFLICT);
        }
        throw new AssertionError("no conditional save applied in 10,000 attempts");
    }

    /** A conditional save of the cart: {@code to}, if it still holds {@code from}. */
    private static ChangeSet cart(SessionId id, String from, String to) {
        ChangeSet plain = CartCopies.setCart(id, to);
        return ChangeSet.builder(id, plain.createdAt(), plain.absoluteDeadline())
                .set("cart", bytes(to))
                .expect("cart", ExpectedValue.of(bytes(from)))
                .build();
    }

    /** What a save in the background failed with; an assertion error if it succeeded. */
    private static Throwable failureOf(Future<SessionStore.SaveOutcome> save) throws InterruptedException {
        try {
            throw new AssertionError("expected a failure, got " + save.get(10, TimeUnit.SECONDS));
        } catch (ExecutionException e) {
            return e.getCause();
        } catch (java.util.concurrent.TimeoutException e) {
            throw new AssertionError("the save neither succeeded nor failed within 10 s", e);
        }
    }

    /**
     * A session id that {@code first} ranks first for among {@code view} (both stores' decider),
     * and, when {@code joiner} is given, that the joiner ranks first for once it joins.
     */
    private static SessionId decidedBy(List<String> view, String first, String joiner) {
        List<String> grown = new ArrayList<>(view);
        if (joiner != null) {
            grown.add(joiner);
        }
        for (int i = 0; i < 100_000; i++) {
            SessionId id = SessionId.random();
            if (Rendezvous.top(id.value(), view, 1).equals(List.of(first))
                    && (joiner == null || Rendezvous.top(id.value(), grown, 1).equals(List.of(joiner)))) {
                return id;
            }
        }
        throw new IllegalStateException("no session id ranks that way");
    }
}
