package dev.satchel.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.satchel.testkit.MutableClock;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The behaviour every {@link SessionStore} must have. A store's test subclasses this and says how to
 * build the store on a given clock; every store, from memory to Redis, runs the same cases.
 *
 * <p>Stores that can index by principal or publish events declare it with {@link
 * #expectsPrincipalIndex()} and {@link #expectsEvents()}; the suite checks the declaration against
 * the store, then tests the capability; likewise conditional saves ({@link
 * #expectsConditionalSaves()}), which a store may test across two of its instances ({@link
 * #peerStore()}).
 */
public abstract class SessionStoreContract {

    protected static final Duration IDLE = Duration.ofMinutes(30);
    protected static final Duration ABSOLUTE = Duration.ofHours(8);

    protected final MutableClock clock = new MutableClock(Instant.parse("2026-01-01T00:00:00Z"));
    protected SessionStore store;

    /** Builds the store under test, deciding expiry by {@code clock}. */
    protected abstract SessionStore createStore(Clock clock);

    /** Reclaims expired sessions the way the store does in the background (sweep, TTL, timer). */
    protected abstract void reclaimExpired(SessionStore store);

    /** Whether this store implements {@link PrincipalIndexedStore}. */
    protected boolean expectsPrincipalIndex() {
        return true;
    }

    /** Whether this store implements {@link ObservableSessionStore}. */
    protected boolean expectsEvents() {
        return true;
    }

    /** Whether this store implements {@link ConditionalSaveStore}. */
    protected boolean expectsConditionalSaves() {
        return false;
    }

    /**
     * A second view of the same sessions, for racing saves from two places: another node of a
     * cluster, another client of one server. The store under test itself by default.
     */
    protected SessionStore peerStore() {
        return store;
    }

    /** How long to wait for an event from a store that delivers them asynchronously. */
    protected Duration eventTimeout() {
        return Duration.ofSeconds(5);
    }

    /** How long to watch for a duplicate after an expected event. */
    protected Duration duplicateWindow() {
        return Duration.ofMillis(50);
    }

    @BeforeEach
    void openStore() {
        store = createStore(clock);
    }

    @AfterEach
    void closeStore() {
        store.close();
    }

    // ---- helpers ---------------------------------------------------------------------------

    protected static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    protected static String text(byte[] b) {
        return new String(b, StandardCharsets.UTF_8);
    }

    protected ChangeSet.Builder newSession(SessionId id) {
        Instant now = clock.instant();
        return ChangeSet.builder(id, now, now.plus(ABSOLUTE))
                .created()
                .accessedAt(now)
                .maxInactiveInterval(IDLE);
    }

    protected ChangeSet.Builder change(SessionRecord record) {
        return ChangeSet.builder(record.id(), record.createdAt(), record.absoluteDeadline());
    }

    protected SessionRecord create(Map<String, String> attributes) {
        SessionId id = SessionId.random();
        ChangeSet.Builder b = newSession(id);
        attributes.forEach((k, v) -> b.set(k, bytes(v)));
        assertThat(store.save(b.build())).isEqualTo(SessionStore.SaveOutcome.CREATED);
        return store.load(id).orElseThrow();
    }

    // ---- round trip ------------------------------------------------------------------------

    @Test
    void save_created_thenLoad_returnsAttributesAndMetadata() {
        SessionRecord r = create(Map.of("user", "alice", "cart", "[1,2]"));
        assertThat(r.attributes()).containsOnlyKeys("user", "cart");
        assertThat(text(r.attributes().get("user"))).isEqualTo("alice");
        assertThat(text(r.attributes().get("cart"))).isEqualTo("[1,2]");
        assertThat(r.createdAt()).isEqualTo(clock.instant());
        assertThat(r.maxInactiveInterval()).isEqualTo(IDLE);
        assertThat(r.absoluteDeadline()).isEqualTo(clock.instant().plus(ABSOLUTE));
    }

    @Test
    void load_unknownId_returnsEmpty() {
        assertThat(store.load(SessionId.random())).isEmpty();
    }

    @Test
    void save_update_replacesOnlyChangedAttributes() {
        SessionRecord r = create(Map.of("a", "1", "b", "2"));
        store.save(change(r).set("a", bytes("10")).build());
        SessionRecord after = store.load(r.id()).orElseThrow();
        assertThat(text(after.attributes().get("a"))).isEqualTo("10");
        assertThat(text(after.attributes().get("b"))).isEqualTo("2");
        assertThat(after.version()).isGreaterThan(r.version());
    }

    @Test
    void save_removal_removesAttribute() {
        SessionRecord r = create(Map.of("a", "1", "b", "2"));
        store.save(change(r).remove("a").build());
        assertThat(store.load(r.id()).orElseThrow().attributes()).containsOnlyKeys("b");
    }

    @Test
    void save_unknownSessionWithoutCreate_isGoneAndWritesNothing() {
        SessionId id = SessionId.random();
        Instant now = clock.instant();
        ChangeSet orphan = ChangeSet.builder(id, now, now.plus(ABSOLUTE))
                .set("a", bytes("1"))
                .build();
        assertThat(store.save(orphan)).isEqualTo(SessionStore.SaveOutcome.GONE);
        assertThat(store.load(id)).isEmpty();
    }

    // ---- concurrency -----------------------------------------------------------------------

    @Test
    void save_createdTwice_secondMergesIn_neverFails() {
        SessionId id = SessionId.random();
        assertThat(store.save(newSession(id).set("a", bytes("1")).build())).isEqualTo(SessionStore.SaveOutcome.CREATED);
        assertThat(store.save(newSession(id).set("b", bytes("2")).build())).isEqualTo(SessionStore.SaveOutcome.UPDATED);
        SessionRecord r = store.load(id).orElseThrow();
        assertThat(r.attributes().keySet()).containsExactlyInAnyOrder("a", "b");
    }

    @Test
    void save_concurrentFirstSavesOfOneSession_bothPersist() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            for (int i = 0; i < 20; i++) {
                SessionId id = SessionId.random();
                CountDownLatch start = new CountDownLatch(1);
                List<Future<SessionStore.SaveOutcome>> outcomes = new ArrayList<>();
                for (String name : List.of("x", "y")) {
                    ChangeSet c = newSession(id).set(name, bytes(name)).build();
                    outcomes.add(pool.submit(() -> {
                        start.await();
                        return store.save(c);
                    }));
                }
                start.countDown();
                List<SessionStore.SaveOutcome> got = new ArrayList<>();
                for (Future<SessionStore.SaveOutcome> f : outcomes) {
                    got.add(f.get(10, TimeUnit.SECONDS));
                }
                assertThat(got)
                        .containsExactlyInAnyOrder(SessionStore.SaveOutcome.CREATED, SessionStore.SaveOutcome.UPDATED);
                assertThat(store.load(id).orElseThrow().attributes().keySet()).containsExactlyInAnyOrder("x", "y");
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void save_concurrentRequestsChangingDifferentAttributes_bothPersist() throws Exception {
        SessionRecord r = create(Map.of("seed", "0"));
        int rounds = 50;
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            for (int i = 0; i < rounds; i++) {
                CountDownLatch start = new CountDownLatch(1);
                String value = Integer.toString(i);
                Future<?> left = pool.submit(() -> {
                    start.await();
                    return store.save(change(r).set("left", bytes(value)).build());
                });
                Future<?> right = pool.submit(() -> {
                    start.await();
                    return store.save(change(r).set("right", bytes(value)).build());
                });
                start.countDown();
                left.get(10, TimeUnit.SECONDS);
                right.get(10, TimeUnit.SECONDS);
                SessionRecord after = store.load(r.id()).orElseThrow();
                assertThat(text(after.attributes().get("left"))).isEqualTo(value);
                assertThat(text(after.attributes().get("right"))).isEqualTo(value);
            }
        } finally {
            pool.shutdownNow();
        }
    }

    // ---- conditional saves (atomic updates of one attribute) --------------------------------

    @Test
    void conditionalSave_whenTheExpectedValueIsHeld_applies() {
        assertThat(store instanceof ConditionalSaveStore).isEqualTo(expectsConditionalSaves());
        if (!expectsConditionalSaves()) {
            return;
        }
        SessionRecord r = create(Map.of("cart", "a", "other", "1"));
        ChangeSet update = change(r)
                .set("cart", bytes("a+b"))
                .expect("cart", ExpectedValue.of(bytes("a")))
                .build();
        assertThat(store.save(update)).isEqualTo(SessionStore.SaveOutcome.UPDATED);
        SessionRecord after = store.load(r.id()).orElseThrow();
        assertThat(text(after.attributes().get("cart"))).isEqualTo("a+b");
        assertThat(text(after.attributes().get("other"))).isEqualTo("1");
    }

    @Test
    void conditionalSave_whenTheValueChanged_conflictsAndWritesNothing() {
        if (!conditionalSavesHere()) {
            return;
        }
        SessionRecord r = create(Map.of("cart", "a"));
        store.save(change(r).set("cart", bytes("a+c")).build());
        ChangeSet stale = change(r)
                .set("cart", bytes("a+b"))
                .set("note", bytes("written with the cart"))
                .remove("cart-hint")
                .expect("cart", ExpectedValue.of(bytes("a")))
                .build();
        assertThat(store.save(stale)).isEqualTo(SessionStore.SaveOutcome.CONFLICT);
        SessionRecord after = store.load(r.id()).orElseThrow();
        assertThat(text(after.attributes().get("cart"))).isEqualTo("a+c");
        assertThat(after.attributes()).doesNotContainKey("note");
    }

    /** The update API's shape: the expected attribute and another set beside it, nothing removed. */
    @Test
    void conditionalSave_withAnotherAttributeBeside_writesNeitherOnConflict_andBothWhenHeld() {
        if (!conditionalSavesHere()) {
            return;
        }
        SessionRecord r = create(Map.of("cart", "a"));
        store.save(change(r).set("cart", bytes("a+c")).build());
        ChangeSet stale = change(r)
                .set("cart", bytes("a+b"))
                .set("note", bytes("written with the cart"))
                .expect("cart", ExpectedValue.of(bytes("a")))
                .build();
        assertThat(store.save(stale)).isEqualTo(SessionStore.SaveOutcome.CONFLICT);
        assertThat(store.load(r.id()).orElseThrow().attributes()).doesNotContainKey("note");
        ChangeSet fresh = change(r)
                .set("cart", bytes("a+c+b"))
                .set("note", bytes("written with the cart"))
                .expect("cart", ExpectedValue.of(bytes("a+c")))
                .build();
        assertThat(store.save(fresh)).isEqualTo(SessionStore.SaveOutcome.UPDATED);
        SessionRecord after = store.load(r.id()).orElseThrow();
        assertThat(text(after.attributes().get("cart"))).isEqualTo("a+c+b");
        assertThat(text(after.attributes().get("note"))).isEqualTo("written with the cart");
    }

    @Test
    void conditionalRemoval_appliesOnlyWhileTheExpectedValueIsHeld() {
        if (!conditionalSavesHere()) {
            return;
        }
        SessionRecord r = create(Map.of("cart", "a", "other", "1"));
        ChangeSet stale = change(r)
                .remove("cart")
                .expect("cart", ExpectedValue.of(bytes("b")))
                .build();
        assertThat(store.save(stale)).isEqualTo(SessionStore.SaveOutcome.CONFLICT);
        assertThat(text(store.load(r.id()).orElseThrow().attributes().get("cart")))
                .isEqualTo("a");
        ChangeSet held = change(r)
                .remove("cart")
                .expect("cart", ExpectedValue.of(bytes("a")))
                .build();
        assertThat(store.save(held)).isEqualTo(SessionStore.SaveOutcome.UPDATED);
        SessionRecord after = store.load(r.id()).orElseThrow();
        assertThat(after.attributes()).doesNotContainKey("cart");
        assertThat(text(after.attributes().get("other"))).isEqualTo("1");
    }

    @Test
    void conditionalSave_expectingNoValue_appliesOnlyWhileThereIsNone() {
        if (!conditionalSavesHere()) {
            return;
        }
        SessionRecord r = create(Map.of("other", "1"));
        ChangeSet first = change(r)
                .set("cart", bytes("a"))
                .expect("cart", ExpectedValue.absent())
                .build();
        assertThat(store.save(first)).isEqualTo(SessionStore.SaveOutcome.UPDATED);
        ChangeSet second = change(r)
                .set("cart", bytes("b"))
                .expect("cart", ExpectedValue.absent())
                .build();
        assertThat(store.save(second)).isEqualTo(SessionStore.SaveOutcome.CONFLICT);
        assertThat(text(store.load(r.id()).orElseThrow().attributes().get("cart")))
                .isEqualTo("a");
    }

    @Test
    void conditionalSave_afterInvalidation_isGoneAndBringsNothingBack() {
        if (!conditionalSavesHere()) {
            return;
        }
        SessionRecord r = create(Map.of("cart", "a"));
        store.save(change(r).invalidated().build());
        ChangeSet update = change(r)
                .set("cart", bytes("a+b"))
                .expect("cart", ExpectedValue.of(bytes("a")))
                .build();
        assertThat(store.save(update)).isEqualTo(SessionStore.SaveOutcome.GONE);
        assertThat(store.load(r.id())).isEmpty();
    }

    /**
     * Four threads, two through each of two views of the store, each add 1 to one counter 50
     * times by read, compute, conditional save, and again on conflict; a fifth writes another
     * attribute plainly all the while. Not one addition may be lost, and the other attribute
     * keeps its last value.
     */
    @Test
    void conditionalSaves_racingFromTwoPlaces_loseNoUpdate() throws Exception {
        if (!conditionalSavesHere()) {
            return;
        }
        SessionRecord r = create(Map.of("count", "0"));
        int threads = 4;
        int each = 50;
        ExecutorService pool = Executors.newFixedThreadPool(threads + 1);
        try {
            CountDownLatch start = new CountDownLatch(1);
            List<Future<Integer>> adders = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                SessionStore through = t % 2 == 0 ? store : peerStore();
                adders.add(pool.submit(() -> {
                    start.await();
                    int conflicts = 0;
                    for (int i = 0; i < each; i++) {
                        conflicts += addOne(through, r.id(), "count");
                    }
                    return conflicts;
                }));
            }
            Future<?> plain = pool.submit(() -> {
                start.await();
                for (int i = 1; i <= each; i++) {
                    store.save(
                            change(r).set("other", bytes(Integer.toString(i))).build());
                }
                return null;
            });
            start.countDown();
            for (Future<Integer> adder : adders) {
                adder.get(60, TimeUnit.SECONDS);
            }
            plain.get(60, TimeUnit.SECONDS);
            SessionRecord after = store.load(r.id()).orElseThrow();
            assertThat(text(after.attributes().get("count"))).isEqualTo(Integer.toString(threads * each));
            assertThat(text(after.attributes().get("other"))).isEqualTo(Integer.toString(each));
        } finally {
            pool.shutdownNow();
        }
    }

    /**
     * Whether this store makes conditional saves, as the subclass says; a store that says it does
     * not must then not claim the capability either.
     */
    private boolean conditionalSavesHere() {
        if (!expectsConditionalSaves()) {
            assertThat(store).isNotInstanceOf(ConditionalSaveStore.class);
            return false;
        }
        return true;
    }

    /** Adds 1 to a counter attribute by conditional save, retrying on conflict; returns the conflicts. */
    private int addOne(SessionStore through, SessionId id, String name) {
        for (int attempt = 0; attempt < 10_000; attempt++) {
            SessionRecord now = through.load(id).orElseThrow();
            byte[] current = now.attributes().get(name);
            int next = Integer.parseInt(text(current)) + 1;
            SessionStore.SaveOutcome outcome = through.save(change(now)
                    .set(name, bytes(Integer.toString(next)))
                    .expect(name, ExpectedValue.of(current))
                    .build());
            if (outcome == SessionStore.SaveOutcome.UPDATED) {
                return attempt;
            }
            assertThat(outcome).isEqualTo(SessionStore.SaveOutcome.CONFLICT);
        }
        throw new AssertionError("no conditional save of " + name + " applied in 10,000 attempts");
    }

    // ---- invalidation ----------------------------------------------------------------------

    @Test
    void load_afterInvalidate_returnsEmpty() {
        SessionRecord r = create(Map.of("a", "1"));
        assertThat(store.save(change(r).invalidated().build())).isEqualTo(SessionStore.SaveOutcome.INVALIDATED);
        assertThat(store.load(r.id())).isEmpty();
    }

    @Test
    void save_lateFromConcurrentRequestAfterInvalidate_doesNotResurrect() {
        SessionRecord r = create(Map.of("a", "1"));
        ChangeSet late =
                change(r).set("b", bytes("2")).accessedAt(clock.instant()).build();
        store.save(change(r).invalidated().build());
        assertThat(store.save(late)).isEqualTo(SessionStore.SaveOutcome.GONE);
        assertThat(store.load(r.id())).isEmpty();
    }

    @Test
    void delete_removesLiveSession_andReportsWhetherItExisted() {
        SessionRecord r = create(Map.of("a", "1"));
        assertThat(store.delete(r.id())).isTrue();
        assertThat(store.load(r.id())).isEmpty();
        assertThat(store.delete(r.id())).isFalse();
    }

    // ---- expiry ----------------------------------------------------------------------------

    @Test
    void load_afterIdleTimeout_returnsEmpty() {
        SessionRecord r = create(Map.of("a", "1"));
        clock.advance(IDLE.minusSeconds(1));
        assertThat(store.load(r.id())).isPresent();
        clock.advance(Duration.ofSeconds(1));
        assertThat(store.load(r.id())).isEmpty();
    }

    @Test
    void load_touchedWithinIdleTimeout_staysAlive() {
        SessionRecord r = create(Map.of("a", "1"));
        for (int i = 0; i < 4; i++) {
            clock.advance(IDLE.minusMinutes(1));
            store.save(change(r).accessedAt(clock.instant()).build());
        }
        assertThat(store.load(r.id())).isPresent();
    }

    @Test
    void load_afterAbsoluteTimeout_returnsEmptyEvenIfActive() {
        SessionRecord r = create(Map.of("a", "1"));
        Duration step = IDLE.dividedBy(2);
        long steps = ABSOLUTE.dividedBy(step);
        for (long i = 1; i < steps; i++) {
            clock.advance(step);
            store.save(change(r).accessedAt(clock.instant()).build());
            assertThat(store.load(r.id())).as("alive after %d steps", i).isPresent();
        }
        clock.advance(step);
        assertThat(store.load(r.id())).isEmpty();
    }

    @Test
    void save_lastAccessNeverMovesBackwards() {
        SessionRecord r = create(Map.of("a", "1"));
        clock.advance(Duration.ofMinutes(5));
        Instant later = clock.instant();
        store.save(change(r).accessedAt(later).build());
        store.save(change(r).accessedAt(later.minusSeconds(60)).build());
        assertThat(store.load(r.id()).orElseThrow().lastAccessedAt()).isEqualTo(later);
    }

    @Test
    void save_shorterIdleTimeout_isEnforced() {
        SessionRecord r = create(Map.of("a", "1"));
        store.save(change(r).maxInactiveInterval(Duration.ofMinutes(1)).build());
        clock.advance(Duration.ofMinutes(2));
        assertThat(store.load(r.id())).isEmpty();
    }

    @Test
    void save_afterExpiry_isGone() {
        SessionRecord r = create(Map.of("a", "1"));
        clock.advance(IDLE.plusSeconds(1));
        assertThat(store.save(change(r).set("b", bytes("2")).build())).isEqualTo(SessionStore.SaveOutcome.GONE);
        assertThat(store.load(r.id())).isEmpty();
    }

    // ---- id change -------------------------------------------------------------------------

    @Test
    void changeId_keepsAttributes_andKillsOldId() {
        SessionRecord r = create(Map.of("a", "1", "b", "2"));
        SessionId newId = SessionId.random();
        assertThat(store.save(change(r).changeId(newId).set("c", bytes("3")).build()))
                .isEqualTo(SessionStore.SaveOutcome.UPDATED);
        assertThat(store.load(r.id())).isEmpty();
        SessionRecord renamed = store.load(newId).orElseThrow();
        assertThat(renamed.attributes()).containsOnlyKeys("a", "b", "c");
        assertThat(renamed.createdAt()).isEqualTo(r.createdAt());
    }

    @Test
    void changeId_thenLateSaveToOldId_isGone() {
        SessionRecord r = create(Map.of("a", "1"));
        store.save(change(r).changeId(SessionId.random()).build());
        assertThat(store.save(change(r).set("x", bytes("y")).build())).isEqualTo(SessionStore.SaveOutcome.GONE);
        assertThat(store.load(r.id())).isEmpty();
    }

    // ---- ids -------------------------------------------------------------------------------

    @Test
    void badlyFormedIds_neverBecomeSessionIds_soNeverReachTheStore() {
        List<String> bad = List.of(
                "",
                "abc",
                "x".repeat(10_000),
                SessionId.random().value().substring(1),
                SessionId.random().value() + "A",
                "+" + SessionId.random().value().substring(1),
                "../../etc/passwd" + "A".repeat(27),
                SessionId.random().value() + ".",
                SessionId.random().value() + ".bad/route",
                "\u0000".repeat(43));
        for (String token : bad) {
            assertThat(SessionId.parse(token))
                    .as("token of length %d", token.length())
                    .isEmpty();
        }
        assertThatThrownBy(() -> new SessionId("not-an-id")).isInstanceOf(IllegalArgumentException.class);
    }

    // ---- principal index -------------------------------------------------------------------

    @Test
    void findByPrincipal_returnsOnlyThatUsersLiveSessions() {
        assertThat(store instanceof PrincipalIndexedStore).isEqualTo(expectsPrincipalIndex());
        if (!(store instanceof PrincipalIndexedStore indexed)) {
            return;
        }
        SessionRecord a1 = createOwnedBy("alice");
        SessionRecord a2 = createOwnedBy("alice");
        createOwnedBy("bob");
        create(Map.of("anonymous", "yes"));
        assertThat(indexed.findByPrincipal("alice"))
                .extracting(SessionRecord::id)
                .containsExactlyInAnyOrder(a1.id(), a2.id());

        store.save(change(a1).invalidated().build());
        assertThat(indexed.findByPrincipal("alice"))
                .extracting(SessionRecord::id)
                .containsExactly(a2.id());

        SessionId renamed = SessionId.random();
        store.save(change(a2).changeId(renamed).build());
        assertThat(indexed.findByPrincipal("alice"))
                .extracting(SessionRecord::id)
                .containsExactly(renamed);

        store.save(ChangeSet.builder(renamed, a2.createdAt(), a2.absoluteDeadline())
                .principal(PrincipalChange.cleared())
                .build());
        assertThat(indexed.findByPrincipal("alice")).isEmpty();
        assertThat(indexed.findByPrincipal("nobody")).isEmpty();
    }

    @Test
    void findByPrincipal_omitsExpiredSessions() {
        if (!(store instanceof PrincipalIndexedStore indexed)) {
            assertThat(expectsPrincipalIndex()).isFalse();
            return;
        }
        createOwnedBy("carol");
        clock.advance(IDLE.plusSeconds(1));
        assertThat(indexed.findByPrincipal("carol")).isEmpty();
    }

    private SessionRecord createOwnedBy(String principal) {
        SessionId id = SessionId.random();
        store.save(newSession(id).principal(PrincipalChange.to(principal)).build());
        return store.load(id).orElseThrow();
    }

    // ---- events ----------------------------------------------------------------------------

    @Test
    void events_createdAndDeleted_fireExactlyOnce() throws Exception {
        assertThat(store instanceof ObservableSessionStore).isEqualTo(expectsEvents());
        if (!(store instanceof ObservableSessionStore observable)) {
            return;
        }
        LinkedBlockingQueue<SessionEvent> events = new LinkedBlockingQueue<>();
        try (AutoCloseable ignored = observable.subscribe(events::add)) {
            SessionRecord r = create(Map.of("a", "1"));
            assertNextEvent(events, SessionEvent.Type.CREATED, r.id());
            store.save(change(r).invalidated().build());
            store.save(change(r).invalidated().build());
            store.delete(r.id());
            assertNextEvent(events, SessionEvent.Type.DELETED, r.id());
            assertNoMoreEvents(events);
        }
    }

    @Test
    void events_expired_firesExactlyOnce_whetherFoundByReadOrBySweep() throws Exception {
        if (!(store instanceof ObservableSessionStore observable)) {
            assertThat(expectsEvents()).isFalse();
            return;
        }
        LinkedBlockingQueue<SessionEvent> events = new LinkedBlockingQueue<>();
        SessionRecord r = create(Map.of("a", "1"));
        try (AutoCloseable ignored = observable.subscribe(events::add)) {
            clock.advance(IDLE.plusSeconds(1));
            assertThat(store.load(r.id())).isEmpty();
            reclaimExpired(store);
            assertThat(store.load(r.id())).isEmpty();
            reclaimExpired(store);
            SessionEvent event = assertNextEvent(events, SessionEvent.Type.EXPIRED, r.id());
            event.lastState().ifPresent(last -> assertThat(last.attributes()).containsKey("a"));
            assertNoMoreEvents(events);
        }
    }

    private SessionEvent assertNextEvent(LinkedBlockingQueue<SessionEvent> events, SessionEvent.Type type, SessionId id)
            throws InterruptedException {
        SessionEvent event = events.poll(eventTimeout().toMillis(), TimeUnit.MILLISECONDS);
        assertThat(event).as("expected a %s event", type).isNotNull();
        assertThat(event.type()).isEqualTo(type);
        assertThat(event.id()).isEqualTo(id);
        return event;
    }

    private void assertNoMoreEvents(LinkedBlockingQueue<SessionEvent> events) throws InterruptedException {
        List<SessionEvent> extra = new ArrayList<>();
        Optional.ofNullable(events.poll(duplicateWindow().toMillis(), TimeUnit.MILLISECONDS))
                .ifPresent(extra::add);
        events.drainTo(extra);
        assertThat(extra).as("events after the expected ones").isEmpty();
    }
}
