package dev.satchel.store.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import dev.satchel.core.SessionId;
import dev.satchel.testkit.MutableClock;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The sweep's batches and its lease, over an in-memory H2 and a clock the test moves. */
class ExpirySweepTest {

    private final MutableClock clock = new MutableClock(Instant.parse("2026-01-01T00:00:00Z"));

    @Test
    void aRun_deletesAtMostItsBatches_andTellsOfEachSession() throws SQLException {
        try (InMemoryH2 h2 = new InMemoryH2();
                SessionDatabase database = SessionDatabase.over(h2.dataSource)) {
            List<SessionId> due = new ArrayList<>();
            for (int i = 0; i < 7; i++) {
                due.add(insertSession(h2, Duration.ofMinutes(1)));
            }
            SessionId live = insertSession(h2, Duration.ofHours(1));
            List<SessionId> told = new ArrayList<>();
            ExpirySweep sweep = new ExpirySweep(database, clock, lease("a"), 3, 2, told::add);

            assertThat(sweep.run()).as("nothing due yet").isZero();
            clock.advance(Duration.ofMinutes(2));
            assertThat(sweep.run()).as("two batches of three").isEqualTo(6);
            assertThat(sweep.run()).as("the rest").isEqualTo(1);
            assertThat(told).containsExactlyInAnyOrderElementsOf(due).doesNotContain(live);
            assertThat(h2.queryLong("SELECT count(*) FROM satchel_sessions")).isEqualTo(1);
            assertThat(sweep.leaseBusy()).isZero();
        }
    }

    @Test
    void whileAnotherNodeHoldsTheLease_aRunDeletesNothing_andCountsThat() throws SQLException {
        try (InMemoryH2 h2 = new InMemoryH2();
                SessionDatabase database = SessionDatabase.over(h2.dataSource)) {
            insertSession(h2, Duration.ofMinutes(1));
            clock.advance(Duration.ofMinutes(2));
            ExpirySweep holder = new ExpirySweep(database, clock, lease("a"), 10, 1, id -> {});
            ExpirySweep other = new ExpirySweep(database, clock, lease("b"), 10, 1, id -> {});
            assertThat(holder.run()).isEqualTo(1);
            insertSession(h2, Duration.ZERO);

            assertThat(other.run()).isZero();
            assertThat(other.leaseBusy()).isEqualTo(1);
            assertThat(h2.queryLong("SELECT count(*) FROM satchel_sessions"))
                    .as("left for a")
                    .isEqualTo(1);

            holder.close(); // hands the lease over
            assertThat(other.run()).isEqualTo(1);
            assertThat(other.leaseBusy()).isEqualTo(1);
        }
    }

    private static SweepLease lease(String node) {
        return new SweepLease(node, Duration.ofMinutes(10));
    }

    /** A session whose expiry is {@code idle} after the clock's now. */
    private SessionId insertSession(InMemoryH2 h2, Duration idle) throws SQLException {
        SessionId id = SessionId.random();
        long now = clock.millis();
        h2.update(
                "INSERT INTO satchel_sessions (session_id, created_at, last_access, max_inactive,"
                        + " absolute_deadline, expires_at, version) VALUES (?, ?, ?, ?, ?, ?, 1)",
                id.value(),
                now,
                now,
                idle.toMillis(),
                now + Duration.ofHours(8).toMillis(),
                now + idle.toMillis());
        return id;
    }
}
