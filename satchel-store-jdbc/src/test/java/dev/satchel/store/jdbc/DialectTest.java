package dev.satchel.store.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class DialectTest {

    @Test
    void urls_andProductNames_pickTheirDatabase() {
        assertThat(Dialect.ofUrl("jdbc:postgresql://db/app")).contains(Dialect.POSTGRESQL);
        assertThat(Dialect.ofUrl("JDBC:MariaDB://db/app")).contains(Dialect.MARIADB);
        assertThat(Dialect.ofUrl("jdbc:mysql://db/app")).contains(Dialect.MARIADB);
        assertThat(Dialect.ofUrl("jdbc:h2:mem:x")).contains(Dialect.H2);
        assertThat(Dialect.ofUrl("jdbc:oracle:thin:@db")).isEmpty();
        assertThat(Dialect.ofProduct("PostgreSQL")).contains(Dialect.POSTGRESQL);
        assertThat(Dialect.ofProduct("MariaDB")).contains(Dialect.MARIADB);
        assertThat(Dialect.ofProduct("MySQL")).contains(Dialect.MARIADB);
        assertThat(Dialect.ofProduct("H2")).contains(Dialect.H2);
        assertThat(Dialect.ofProduct("H2 compatible thing")).isEmpty();
        assertThat(Dialect.ofProduct("Oracle")).isEmpty();
    }

    @ParameterizedTest
    @EnumSource(Dialect.class)
    void sweepBinding_fillsEveryPlaceholder_withTheCutoffAndTheLimit(Dialect dialect) throws SQLException {
        RecordingStatement s = new RecordingStatement();
        dialect.bindSweep(s.statement, 1_000L, 25);
        int placeholders = RecordingStatement.placeholders(dialect.sweepBatch());
        assertThat(s.boundOneTo(placeholders)).as("bound %s", s.bound).isTrue();
        assertThat(s.bound.values()).containsOnly(1_000L, 25);
    }

    @ParameterizedTest
    @EnumSource(Dialect.class)
    void everyDialect_answersWithTheIdsItDeletes_andUpsertsByName(Dialect dialect) {
        assertThat(dialect.sweepBatch())
                .contains("DELETE FROM satchel_sessions")
                .contains("session_id");
        assertThat(RecordingStatement.placeholders(dialect.upsertAttribute())).isEqualTo(3);
        assertThat(dialect.migrations).isEqualTo(dialect.name().toLowerCase(Locale.ROOT));
    }

    @Test
    void postgresSweep_rechecksExpiryInTheOuterWhere() {
        // After waiting for a touch's row lock, only the outer WHERE is re-evaluated on the new row.
        String sql = Dialect.POSTGRESQL.sweepBatch();
        assertThat(sql.substring(sql.lastIndexOf(')'))).contains("expires_at <= ?");
    }

    @Test
    void driverTimeouts_inEachDriversUnit() {
        Duration timeout = Duration.ofMillis(1_500);
        assertThat(Dialect.POSTGRESQL.driverProperties(timeout))
                .containsEntry("socketTimeout", "2")
                .containsEntry("connectTimeout", "2")
                .containsEntry("reWriteBatchedInserts", "false");
        assertThat(Dialect.MARIADB.driverProperties(timeout))
                .containsEntry("socketTimeout", "1500")
                .containsEntry("connectTimeout", "1500");
        assertThat(Dialect.H2.driverProperties(timeout)).isEmpty();
        assertThat(Dialect.POSTGRESQL.driverProperties(Duration.ofMillis(250)))
                .as("never rounded down to no timeout at all")
                .containsEntry("socketTimeout", "1");
    }

    @Test
    void h2Statements_runOnH2_upsertReplaces_andTheSweepTakesOneBoundedBatch() throws SQLException {
        try (InMemoryH2 h2 = new InMemoryH2();
                Connection c = h2.connection()) {
            for (int i = 0; i < 5; i++) {
                h2.update(
                        "INSERT INTO satchel_sessions (session_id, created_at, last_access, max_inactive,"
                                + " absolute_deadline, expires_at, version) VALUES (?, 0, 0, 10, 100, ?, 1)",
                        "s" + i,
                        i < 4 ? 10L : 500L);
            }
            for (String value : List.of("one", "two")) {
                try (PreparedStatement s = c.prepareStatement(Dialect.H2.upsertAttribute())) {
                    s.setString(1, "cart");
                    s.setBytes(2, value.getBytes());
                    s.setString(3, "s0");
                    assertThat(s.executeUpdate()).isEqualTo(1);
                }
            }
            assertThat(h2.queryLong("SELECT count(*) FROM satchel_attributes")).isEqualTo(1);

            assertThat(sweep(c, 20, 3)).as("three of the four due").hasSize(3);
            assertThat(sweep(c, 20, 3)).as("the last due, not the live one").hasSize(1);
            assertThat(h2.queryLong("SELECT count(*) FROM satchel_sessions")).isEqualTo(1);
        }
    }

    private static List<String> sweep(Connection c, long now, int limit) throws SQLException {
        try (PreparedStatement s = c.prepareStatement(Dialect.H2.sweepBatch())) {
            Dialect.H2.bindSweep(s, now, limit);
            List<String> ids = new ArrayList<>();
            try (ResultSet rs = s.executeQuery()) {
                while (rs.next()) {
                    ids.add(rs.getString(1));
                }
            }
            return ids;
        }
    }
}
