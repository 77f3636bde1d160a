package dev.satchel.core.memory;

import static org.assertj.core.api.Assertions.assertThat;

import dev.satchel.core.ChangeSet;
import dev.satchel.core.PrincipalChange;
import dev.satchel.core.SessionEvent;
import dev.satchel.core.SessionId;
import dev.satchel.core.SessionStore.SaveOutcome;
import dev.satchel.testkit.MutableClock;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.assertj.core.api.SoftAssertions;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Two threads racing on one session, many times over: a latch releases both at once, so every
 * interleaving the scheduler can produce gets its chance. Each trial checks the outcome the
 * winner reported against what the store holds afterwards.
 */
class MemorySessionStoreRaceTest {
    private static final int TRIALS = 20_000;
    private static final Duration IDLE = Duration.ofMinutes(30);

    private final MutableClock clock = new MutableClock(Instant.parse("2026-01-01T00:00:00Z"));
    private final MemorySessionStore store = MemorySessionStore.builder()
            .clock(clock)
            .maxSessions(10 * TRIALS)
            .sweepInterval(Duration.ZERO)
            .build();
    private final ExecutorService pool = Executors.newFixedThreadPool(2);

    @AfterEach
    void stop() {
        pool.shutdownNow();
        store.close();
    }

    @Test
    void deleteRacingASave_alwaysDeletes_andLeavesNoIndexOrExpiryEntry() throws Exception {
        AtomicInteger deletedEvents = new AtomicInteger();
        store.subscribe(e -> {
            if (e.type() == SessionEvent.Type.DELETED) {
                deletedEvents.incrementAndGet();
            }
        });
        int refused = 0;
        int survived = 0;
        for (int i = 0; i < TRIALS; i++) {
            SessionId id = createSession();
            // The save logs the user in and changes the idle timeout: both touch the principal
            // index and the expiry queue, which a racing delete must not leave behind.
            ChangeSet save = change(id)
                    .set("cart", bytes(Integer.toString(i)))
                    .principal(PrincipalChange.to("user-" + i))
                    .maxInactiveInterval(IDLE.plusMinutes(1))
                    .build();
            Race<SaveOutcome, Boolean> race = race(() -> store.save(save), () -> store.delete(id));
            if (!race.second()) {
                refused++;
            }
            if (store.load(id).isPresent()) {
                survived++;
            }
        }
        int refusedDeletes = refused;
        int survivors = survived;
        SoftAssertions.assertSoftly(soft -> {
            soft.assertThat(refusedDeletes)
                    .as("deletes of a live session that found nothing")
                    .isZero();
            soft.assertThat(survivors).as("sessions alive after their delete").isZero();
            soft.assertThat(deletedEvents.get())
                    .as("one DELETED event per delete")
                    .isEqualTo(TRIALS);
            soft.assertThat(store.size()).as("sessions left").isZero();
            soft.assertThat(store.indexedIds())
                    .as("dead principal index entries")
                    .isZero();
            soft.assertThat(store.scheduledChecks())
                    .as("expiry checks of deleted sessions")
                    .isZero();
        });
    }

    @Test
    void renameRacingADeleteOfTheOldId_exactlyOneWins() throws Exception {
        int bothOrNeither = 0;
        int deletedButAlive = 0;
        for (int i = 0; i < TRIALS; i++) {
            SessionId id = createSession();
            SessionId newId = SessionId.random();
            ChangeSet rename = change(id)
                    .changeId(newId)
                    .principal(PrincipalChange.to("user-" + i))
                    .build();
            Race<SaveOutcome, Boolean> race = race(() -> store.save(rename), () -> store.delete(id));
            boolean renamed = race.first() == SaveOutcome.UPDATED;
            if (renamed == race.second()) {
                bothOrNeither++;
            }
            if (race.second() && store.load(newId).isPresent()) {
                deletedButAlive++;
            }
            assertThat(store.load(id)).isEmpty();
            store.delete(newId);
        }
        int wrongWinners = bothOrNeither;
        int resurrected = deletedButAlive;
        SoftAssertions.assertSoftly(soft -> {
            soft.assertThat(wrongWinners)
                    .as("trials where rename and delete both won, or neither")
                    .isZero();
            soft.assertThat(resurrected)
                    .as("alive under the new id after a successful delete")
                    .isZero();
            soft.assertThat(store.size()).as("sessions left").isZero();
            soft.assertThat(store.indexedIds())
                    .as("dead principal index entries")
                    .isZero();
            soft.assertThat(store.scheduledChecks())
                    .as("expiry checks of deleted sessions")
                    .isZero();
        });
    }

    @Test
    void twoRenamesOfOneSession_leaveExactlyOneLiveId() throws Exception {
        int notOne = 0;
        for (int i = 0; i < TRIALS; i++) {
            SessionId id = createSession();
            SessionId a = SessionId.random();
            SessionId b = SessionId.random();
            ChangeSet toA = change(id)
                    .changeId(a)
                    .principal(PrincipalChange.to("user-" + i))
                    .build();
            ChangeSet toB = change(id)
                    .changeId(b)
                    .principal(PrincipalChange.to("user-" + i))
                    .build();
            race(() -> store.save(toA), () -> store.save(toB));
            int live = (store.load(a).isPresent() ? 1 : 0)
                    + (store.load(b).isPresent() ? 1 : 0)
                    + (store.load(id).isPresent() ? 1 : 0);
            if (live != 1) {
                notOne++;
            }
            if (store.findByPrincipal("user-" + i).size() != 1) {
                notOne++;
            }
            store.delete(a);
            store.delete(b);
        }
        assertThat(notOne)
                .as("double-submitted logins not leaving exactly one live, indexed id")
                .isZero();
        assertThat(store.indexedIds()).isZero();
    }

    private SessionId createSession() {
        SessionId id = SessionId.random();
        Instant now = clock.instant();
        assertThat(store.save(ChangeSet.builder(id, now, now.plus(Duration.ofHours(8)))
                        .created()
                        .accessedAt(now)
                        .maxInactiveInterval(IDLE)
                        .build()))
                .isEqualTo(SaveOutcome.CREATED);
        return id;
    }

    private ChangeSet.Builder change(SessionId id) {
        Instant now = clock.instant();
        return ChangeSet.builder(id, now, now.plus(Duration.ofHours(8)));
    }

    private record Race<A, B>(A first, B second) {}

    private <A, B> Race<A, B> race(Callable<A> first, Callable<B> second) throws Exception {
        CountDownLatch start = new CountDownLatch(1);
        Future<A> a = pool.submit(() -> {
            start.await();
            return first.call();
        });
        Future<B> b = pool.submit(() -> {
            start.await();
            return second.call();
        });
        start.countDown();
        return new Race<>(a.get(10, TimeUnit.SECONDS), b.get(10, TimeUnit.SECONDS));
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
