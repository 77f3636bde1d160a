package dev.satchel.core.memory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.satchel.core.ChangeSet;
import dev.satchel.core.SessionId;
import dev.satchel.core.SessionLimitException;
import dev.satchel.core.SessionRecord;
import dev.satchel.core.SessionStore;
import dev.satchel.core.SessionStore.SaveOutcome;
import dev.satchel.core.SessionStoreContract;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class MemorySessionStoreTest extends SessionStoreContract {

    @Override
    protected SessionStore createStore(Clock clock) {
        return MemorySessionStore.builder()
                .clock(clock)
                .maxSessions(100)
                .sweepInterval(Duration.ZERO)
                .build();
    }

    @Override
    protected void reclaimExpired(SessionStore store) {
        ((MemorySessionStore) store).expireDue();
    }

    @Override
    protected boolean expectsConditionalSaves() {
        return true;
    }

    private MemorySessionStore memory() {
        return (MemorySessionStore) store;
    }

    @Test
    void create_atCap_refusesNewSession_andKeepsExistingOnes() {
        for (int i = 0; i < 100; i++) {
            create(Map.of("n", Integer.toString(i)));
        }
        assertThatThrownBy(() -> store.save(newSession(SessionId.random()).build()))
                .isInstanceOf(SessionLimitException.class)
                .hasMessageContaining("100");
        assertThat(memory().size()).isEqualTo(100);
        assertThat(memory().counters()).containsEntry("refused_full", 1L).containsEntry("sessions_held", 100L);
    }

    @Test
    void create_atCap_reclaimsExpiredSessionsFirst() {
        for (int i = 0; i < 100; i++) {
            create(Map.of("n", Integer.toString(i)));
        }
        clock.advance(IDLE.plusSeconds(1));
        SessionId id = SessionId.random();
        store.save(newSession(id).build());
        assertThat(store.load(id)).isPresent();
        assertThat(memory().size()).isEqualTo(1);
    }

    @Test
    void create_atByteBudget_refusesNewSessions_butExistingOnesStillSave() {
        MemorySessionStore small = MemorySessionStore.builder()
                .clock(clock)
                .maxBytes(20 * 1024)
                .sweepInterval(Duration.ZERO)
                .build();
        String value = "x".repeat(500);
        SessionId first = SessionId.random();
        small.save(newSession(first)
                .set("cart", value.getBytes(StandardCharsets.UTF_8))
                .build());
        int admitted = 1;
        Throwable refusal = null;
        for (int i = 0; i < 1_000 && refusal == null; i++) {
            try {
                small.save(newSession(SessionId.random())
                        .set("cart", value.getBytes(StandardCharsets.UTF_8))
                        .build());
                admitted++;
            } catch (SessionLimitException e) {
                refusal = e;
            }
        }
        assertThat(refusal).as("a new session past the budget").isNotNull().hasMessageContaining("20480");
        assertThat(admitted).as("sessions admitted").isBetween(10, 20);
        assertThat(small.size()).isEqualTo(admitted);
        ChangeSet grow = ChangeSet.builder(
                        first, clock.instant(), clock.instant().plus(ABSOLUTE))
                .set("more", value.getBytes(StandardCharsets.UTF_8))
                .build();
        assertThat(small.save(grow))
                .as("a write to a live session at the budget")
                .isEqualTo(SaveOutcome.UPDATED);
        assertThat(small.load(first)).isPresent();
    }

    @Test
    void byteBudget_isGivenBack_whenSessionsEndOrExpire() {
        MemorySessionStore small = MemorySessionStore.builder()
                .clock(clock)
                .maxBytes(20 * 1024)
                .sweepInterval(Duration.ZERO)
                .build();
        byte[] value = "x".repeat(500).getBytes(StandardCharsets.UTF_8);
        List<SessionId> ids = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            SessionId id = SessionId.random();
            small.save(newSession(id).set("cart", value).build());
            ids.add(id);
        }
        long fiveSessions = small.estimatedBytes();
        assertThat(fiveSessions).isGreaterThanOrEqualTo(5 * (HeapBudget.PER_SESSION + value.length));
        small.delete(ids.get(0));
        small.save(
                ChangeSet.builder(ids.get(1), clock.instant(), clock.instant().plus(ABSOLUTE))
                        .changeId(SessionId.random())
                        .build());
        assertThat(small.estimatedBytes()).isEqualTo(fiveSessions * 4 / 5);
        clock.advance(IDLE.plusSeconds(1));
        small.expireDue();
        assertThat(small.size()).isZero();
        assertThat(small.estimatedBytes()).isZero();
    }

    @Test
    void replicaCopies_areNeverRefused_atTheByteBudget() {
        MemorySessionStore small = MemorySessionStore.builder()
                .clock(clock)
                .maxBytes(HeapBudget.PER_SESSION)
                .sweepInterval(Duration.ZERO)
                .build();
        small.save(newSession(SessionId.random()).build());
        SessionId copied = SessionId.random();
        small.replace(SessionRecord.create(newSession(copied).build()));
        assertThat(small.load(copied)).isPresent();
        assertThatThrownBy(() -> small.save(newSession(SessionId.random()).build()))
                .isInstanceOf(SessionLimitException.class);
    }

    @Test
    void expireDue_checksOnlySessionsWhoseDeadlinePassed() {
        SessionRecord early = create(Map.of("a", "1"));
        clock.advance(Duration.ofMinutes(10));
        for (int i = 0; i < 50; i++) {
            create(Map.of("n", Integer.toString(i)));
        }
        clock.advance(IDLE.minusMinutes(10).plusSeconds(1));
        assertThat(memory().expireDue()).isEqualTo(1);
        assertThat(memory().size()).isEqualTo(50);
        assertThat(store.load(early.id())).isEmpty();
    }

    @Test
    void expireDue_reschedulesTouchedSessionInsteadOfReclaimingIt() {
        SessionRecord r = create(Map.of("a", "1"));
        clock.advance(IDLE.minusMinutes(1));
        store.save(change(r).accessedAt(clock.instant()).build());
        clock.advance(Duration.ofMinutes(2));
        assertThat(memory().expireDue())
                .as("touched, so rescheduled, not reclaimed")
                .isZero();
        assertThat(store.load(r.id())).isPresent();
        clock.advance(IDLE);
        assertThat(memory().expireDue()).isEqualTo(1);
        assertThat(memory().size()).isZero();
        assertThat(memory().counters()).containsEntry("expired", 1L).containsEntry("sessions_held", 0L);
    }
}
