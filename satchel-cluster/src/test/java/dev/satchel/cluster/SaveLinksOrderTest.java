package dev.satchel.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.satchel.core.ChangeSet;
import dev.satchel.core.SessionId;
import dev.satchel.core.SessionStore.SaveOutcome;
import dev.satchel.core.SessionStoreUnavailableException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * What keeps a session's copies right when saves travel on links of their own, out of order with
 * each other and with whole copies: a node's stamps only grow, one save of a session in flight
 * from a node at a time, and a save older than one its node made since is never applied.
 */
class SaveLinksOrderTest {
    private static final Instant NOW = Instant.parse("2026-12-06T10:00:00Z");
    private static final long X = 11;
    private static final long Y = 22;
    private final VersionedCopies replica = new VersionedCopies(Clock.fixed(NOW, ZoneOffset.UTC));
    private final ExecutorService pool = Executors.newFixedThreadPool(2);

    SaveLinksOrderTest() {
        replica.trackOrigins(true);
    }

    @AfterEach
    void close() {
        replica.close();
        pool.shutdownNow();
    }

    @Test
    void aNodesStamps_onlyGrow_evenWithoutACopyToStampAfter_andWhenItsClockStepsBack() {
        dev.satchel.testkit.MutableClock stepping = new dev.satchel.testkit.MutableClock(NOW);
        HybridClock clock = new HybridClock(stepping);
        long first = clock.after(0);
        long second = clock.after(0); // same millisecond, no copy held: still later
        stepping.advance(Duration.ofSeconds(-5)); // the wall clock steps back
        long third = clock.after(0);
        assertThat(second).isGreaterThan(first);
        assertThat(third).isGreaterThan(second);
    }

    @Test
    void aSaveThatArrivesAfterALaterSaveOfItsNode_isNotApplied_andNeverUndoesIt() {
        SessionId id = SessionId.random();
        apply(create(id, "empty"), X, 100, 0);
        // X saved "1 item" (stamp 200), it timed out in a buffer; X then saved "2 items" (300).
        assertThat(apply(setCart(id, "2 items"), X, 300, 100)).contains(SaveOutcome.UPDATED);
        assertThat(apply(setCart(id, "1 item"), X, 200, 100))
                .as("the late save, answered STALE")
                .isEmpty();
        assertThat(CartCopies.cart(replica.load(id))).isEqualTo("2 items");
    }

    @Test
    void aSaveThatArrivesAfterAWholeCopyFromItsNode_holdingIt_isNotApplied() {
        SessionId id = SessionId.random();
        apply(create(id, "empty"), X, 100, 0);
        // X saved "1 item" (200), then "2 items" (300); its repair copy (300) came first.
        VersionedCopies onX = new VersionedCopies(Clock.fixed(NOW, ZoneOffset.UTC));
        try {
            onX.apply(create(id, "empty"), 100);
            onX.apply(setCart(id, "1 item"), 200);
            onX.apply(setCart(id, "2 items"), 300);
            assertThat(replica.apply(onX.copyOf(id).orElseThrow(), X)).isTrue();
        } finally {
            onX.close();
        }
        assertThat(apply(setCart(id, "1 item"), X, 200, 100))
                .as("the save the copy holds")
                .isEmpty();
        assertThat(CartCopies.cart(replica.load(id))).isEqualTo("2 items");
    }

    @Test
    void aStampFarAhead_movesItsSessionOn_butNotTheNodesOtherSessions() {
        HybridClock clock = new HybridClock(Clock.fixed(NOW, ZoneOffset.UTC));
        long now = NOW.toEpochMilli() << 16;
        long ahead = (NOW.toEpochMilli() + 1_800_000) << 16; // a copy from a node half an hour ahead
        assertThat(clock.after(ahead)).isEqualTo(ahead + 1);
        long other = clock.after(0);
        assertThat(other).as("another session's next stamp").isBetween(now, now + 10);
        assertThat(clock.after(0)).isGreaterThan(other);
    }

    @Test
    void anotherNodesOlderSave_stillMerges_asInOneStore() {
        SessionId id = SessionId.random();
        apply(create(id, "empty"), X, 100, 0);
        apply(setCart(id, "from x"), X, 300, 100);
        // Y saved another attribute on the copy stamped 100, at 200: not overtaken by X's save.
        ChangeSet fromY = ChangeSet.builder(id, NOW, NOW.plus(Duration.ofHours(8)))
                .set("wish", bytes("from y"))
                .build();
        assertThat(apply(fromY, Y, 200, 100)).contains(SaveOutcome.UPDATED);
        assertThat(replica.load(id).orElseThrow().attributes()).containsKeys("cart", "wish");
    }

    @Test
    void aLateInvalidation_stillEndsTheSession() {
        SessionId id = SessionId.random();
        apply(create(id, "empty"), X, 100, 0);
        apply(setCart(id, "1 item"), X, 300, 100);
        ChangeSet logout = ChangeSet.builder(id, Instant.EPOCH, Instant.EPOCH)
                .invalidated()
                .build();
        assertThat(replica.overtaken(logout, X, 200)).isFalse();
        replica.apply(logout, 200);
        assertThat(replica.load(id)).isEmpty();
    }

    @Test
    void aLateRename_isNotApplied_butStillEndsTheSessionItRenamesFrom() {
        SessionId old = SessionId.random();
        SessionId renamed = SessionId.random();
        apply(create(old, "1 item"), X, 100, 0);
        apply(create(renamed, "2 items"), X, 300, 0); // a later save of the new id
        ChangeSet rename = ChangeSet.builder(old, NOW, NOW.plus(Duration.ofHours(8)))
                .changeId(renamed)
                .set("cart", bytes("1 item"))
                .build();
        assertThat(replica.overtaken(rename, X, 200)).isTrue();
        assertThat(replica.load(old)).as("the session renamed from").isEmpty();
        assertThat(replica.buried(old)).isTrue();
        assertThat(CartCopies.cart(replica.load(renamed))).isEqualTo("2 items");
    }

    @Test
    void withoutLinks_nothingIsTracked() {
        VersionedCopies plain = new VersionedCopies(Clock.fixed(NOW, ZoneOffset.UTC));
        try {
            SessionId id = SessionId.random();
            plain.apply(create(id, "empty"), 100);
            assertThat(plain.overtaken(setCart(id, "2 items"), X, 300)).isFalse();
            assertThat(plain.overtaken(setCart(id, "1 item"), X, 200)).isFalse();
        } finally {
            plain.close();
        }
    }

    @Test
    void theGate_letsOneSaveOfASessionThroughAtATime_andOthersSessionsPass() throws Exception {
        SaveGate gate = new SaveGate(Duration.ofSeconds(5));
        SessionId id = SessionId.random();
        CountDownLatch inside = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        AtomicInteger concurrent = new AtomicInteger();
        AtomicInteger most = new AtomicInteger();
        Future<?> first = pool.submit(() -> {
            try (SaveGate.Passage p = gate.enter(setCart(id, "a"))) {
                most.accumulateAndGet(concurrent.incrementAndGet(), Math::max);
                inside.countDown();
                release.await(5, TimeUnit.SECONDS);
                concurrent.decrementAndGet();
            }
            return null;
        });
        assertThat(inside.await(5, TimeUnit.SECONDS)).isTrue();
        CountDownLatch trying = new CountDownLatch(1);
        Future<?> second = pool.submit(() -> {
            trying.countDown();
            try (SaveGate.Passage p = gate.enter(setCart(id, "b"))) {
                most.accumulateAndGet(concurrent.incrementAndGet(), Math::max);
                concurrent.decrementAndGet();
            }
            return null;
        });
        assertThat(trying.await(5, TimeUnit.SECONDS)).isTrue();
        try (SaveGate.Passage other = gate.enter(setCart(SessionId.random(), "c"))) {
            assertThat(gate.inFlight()).as("another session passes at once").isEqualTo(2);
        }
        assertThat(second.isDone()).as("the same session's second save waits").isFalse();
        release.countDown();
        first.get(5, TimeUnit.SECONDS);
        second.get(5, TimeUnit.SECONDS);
        assertThat(most.get()).isEqualTo(1);
        assertThat(gate.inFlight()).isZero();
    }

    @Test
    void theGate_isReentrant_andASaveStuckInFlight_failsTheNextOneAfterTheWait() throws Exception {
        SaveGate gate = new SaveGate(Duration.ofMillis(200));
        SessionId id = SessionId.random();
        try (SaveGate.Passage outer = gate.enter(setCart(id, "a"));
                SaveGate.Passage inner = gate.enter(setCart(id, "b"))) {
            Future<?> other = pool.submit(() -> gate.enter(setCart(id, "c")));
            assertThatThrownBy(() -> other.get(5, TimeUnit.SECONDS))
                    .hasCauseInstanceOf(SessionStoreUnavailableException.class);
        }
        try (SaveGate.Passage after = gate.enter(setCart(id, "d"))) {
            assertThat(gate.inFlight()).isEqualTo(1);
        }
    }

    private java.util.Optional<SaveOutcome> apply(ChangeSet changes, long origin, long stamp, long base) {
        return replica.overtaken(changes, origin, stamp)
                ? java.util.Optional.empty()
                : replica.applyIfCurrent(changes, stamp, base);
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static ChangeSet create(SessionId id, String cart) {
        return CartCopies.create(id, cart, NOW);
    }

    private static ChangeSet setCart(SessionId id, String cart) {
        return CartCopies.setCart(id, cart, NOW);
    }
}
