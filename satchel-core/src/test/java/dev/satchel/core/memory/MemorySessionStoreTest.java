package dev.satchel.core.memory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.satchel.core.SessionId;
import dev.satchel.core.SessionLimitException;
import dev.satchel.core.SessionRecord;
import dev.satchel.core.SessionStore;
import dev.satchel.core.SessionStoreContract;
import java.time.Clock;
import java.time.Duration;
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
        assertThat(memory().expireDue()).isEqualTo(1);
        assertThat(store.load(r.id())).isPresent();
        clock.advance(IDLE);
        memory().expireDue();
        assertThat(memory().size()).isZero();
    }
}
