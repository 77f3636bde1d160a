package dev.satchel.store.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** Who may sweep when, decided by the lease row of an in-memory H2 at times the test picks. */
class SweepLeaseTest {

    private static final Duration LENGTH = Duration.ofMinutes(2);

    @Test
    void oneHolderAtATime_untilItsLeaseRunsOut() throws SQLException {
        SweepLease a = new SweepLease("node-a", LENGTH);
        SweepLease b = new SweepLease("node-b", LENGTH);
        try (InMemoryH2 h2 = new InMemoryH2();
                Connection c = h2.connection()) {
            long t = 1_000_000;
            assertThat(a.tryTake(c, t)).as("a free lease").isTrue();
            assertThat(b.tryTake(c, t + 1)).as("held by a").isFalse();
            assertThat(a.tryTake(c, t + 60_000)).as("the holder extends it").isTrue();
            long end = t + 60_000 + LENGTH.toMillis();
            assertThat(b.tryTake(c, end - 1))
                    .as("the extension counts from the renewal")
                    .isFalse();
            assertThat(b.tryTake(c, end)).as("a lease run out is free").isTrue();
            assertThat(a.tryTake(c, end + 1)).as("a lost it to b").isFalse();
            assertThat(h2.queryLong("SELECT lease_until FROM satchel_sweeper")).isEqualTo(end + LENGTH.toMillis());
        }
    }

    @Test
    void release_freesTheLeaseAtOnce_butOnlyForItsHolder() throws SQLException {
        SweepLease a = new SweepLease("node-a", LENGTH);
        SweepLease b = new SweepLease("node-b", LENGTH);
        try (InMemoryH2 h2 = new InMemoryH2();
                Connection c = h2.connection()) {
            assertThat(a.tryTake(c, 5_000)).isTrue();
            assertThat(b.release(c)).as("b holds nothing to release").isFalse();
            assertThat(b.tryTake(c, 5_001)).isFalse();
            assertThat(a.release(c)).isTrue();
            assertThat(b.tryTake(c, 5_002))
                    .as("free long before the lease would have run out")
                    .isTrue();
        }
    }
}
