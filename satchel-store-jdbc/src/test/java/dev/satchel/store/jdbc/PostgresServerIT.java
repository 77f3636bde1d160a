package dev.satchel.store.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.satchel.core.ChangeSet;
import dev.satchel.core.SessionId;
import dev.satchel.core.SessionRecord;
import dev.satchel.core.SessionStoreUnavailableException;
import dev.satchel.testkit.Await;
import dev.satchel.testkit.LocalPostgresServer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The SQL store against a PostgreSQL server of this test's own: statements counted on the server by
 * {@code pg_stat_statements}, and the server stopped under the store and started again.
 */
class PostgresServerIT {
    static LocalPostgresServer postgres;

    @BeforeAll
    static void startServer() throws Exception {
        postgres = LocalPostgresServer.start(Path.of("target", "postgres-it"));
    }

    @AfterAll
    static void stopServer() {
        if (postgres != null) {
            postgres.close();
        }
    }

    @Test
    void loadIsOneQuery_touchIsOneStatement_andSaveIsOneStatement() throws SQLException {
        try (JdbcSessionStore store = JdbcSessionStore.builder(postgres.jdbcUrl())
                .sweepInBackground(false)
                .build()) {
            SessionId id = SessionId.random();
            Instant now = Instant.now();
            ChangeSet.Builder create = ChangeSet.builder(id, now, now.plus(Duration.ofHours(8)))
                    .created()
                    .accessedAt(now)
                    .maxInactiveInterval(Duration.ofMinutes(30));
            for (int i = 0; i < 10; i++) {
                create.set("attr" + i, ("value" + i).getBytes(StandardCharsets.UTF_8));
            }
            store.save(create.build());
            SessionRecord record = store.load(id).orElseThrow();

            resetStatistics();
            assertThat(store.load(id)).isPresent();
            assertThat(statements()).as("a load").containsOnlyKeys("SELECT").containsEntry("SELECT", 1L);

            resetStatistics();
            store.save(ChangeSet.builder(id, record.createdAt(), record.absoluteDeadline())
                    .accessedAt(now.plusSeconds(60))
                    .build());
            assertThat(statements()).as("a touch").containsOnlyKeys("UPDATE").containsEntry("UPDATE", 1L);

            resetStatistics();
            store.save(ChangeSet.builder(id, record.createdAt(), record.absoluteDeadline())
                    .accessedAt(now.plusSeconds(120))
                    .set("attr1", "changed".getBytes(StandardCharsets.UTF_8))
                    .set("attr2", "changed".getBytes(StandardCharsets.UTF_8))
                    .build());
            // One statement: the session row and the upserts as data-modifying CTEs, atomic on its
            // own, so no BEGIN and no COMMIT.
            assertThat(statements())
                    .as("a save that sets attributes")
                    .containsOnlyKeys("WITH")
                    .containsEntry("WITH", 1L);

            resetStatistics();
            store.save(ChangeSet.builder(id, record.createdAt(), record.absoluteDeadline())
                    .accessedAt(now.plusSeconds(180))
                    .set("attr4", "changed".getBytes(StandardCharsets.UTF_8))
                    .remove("attr3")
                    .build());
            // A removal locks the row first, so the statement that removes reads after the lock.
            Map<String, Long> removal = statements();
            assertThat(removal)
                    .as("a save that removes attributes")
                    .containsEntry("SELECT", 1L)
                    .containsEntry("WITH", 1L);
            // The driver's BEGIN and COMMIT may or may not be counted; nothing else may be there.
            assertThat(removal.keySet()).isSubsetOf("BEGIN", "SELECT", "WITH", "COMMIT");
            SessionRecord saved = store.load(id).orElseThrow();
            assertThat(saved.attributes()).hasSize(9).doesNotContainKey("attr3");
            assertThat(new String(saved.attributes().get("attr2"), StandardCharsets.UTF_8))
                    .isEqualTo("changed");
        }
    }

    @Test
    void stoppedDatabase_failsFast_thenRecoversWithoutRestartingTheStore() throws Exception {
        try (JdbcSessionStore store = JdbcSessionStore.builder(postgres.jdbcUrl())
                .timeout(Duration.ofSeconds(1))
                .sweepInBackground(false)
                .build()) {
            SessionId id = SessionId.random();
            Instant now = Instant.now();
            store.save(ChangeSet.builder(id, now, now.plus(Duration.ofHours(8)))
                    .created()
                    .accessedAt(now)
                    .maxInactiveInterval(Duration.ofMinutes(30))
                    .set("cart", "[42]".getBytes(StandardCharsets.UTF_8))
                    .build());

            postgres.stop();
            try {
                for (int i = 0; i < 3; i++) {
                    long start = System.nanoTime();
                    assertThatThrownBy(() -> store.load(id))
                            .isInstanceOf(SessionStoreUnavailableException.class)
                            .hasMessageContaining("did not answer");
                    // Not a speed target: a bound far above the 1 s timeout that tells failing from hanging.
                    assertThat(TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - start))
                            .isLessThan(10);
                }
                assertThatThrownBy(() -> store.save(ChangeSet.builder(id, now, now.plus(Duration.ofHours(8)))
                                .set("cart", "[43]".getBytes(StandardCharsets.UTF_8))
                                .build()))
                        .isInstanceOf(SessionStoreUnavailableException.class);
            } finally {
                postgres.begin();
            }

            // Empty while the store still cannot reach the restarted server.
            Optional<Optional<SessionRecord>> answer = Await.until(
                    Duration.ofSeconds(30),
                    () -> {
                        try {
                            return Optional.of(store.load(id));
                        } catch (SessionStoreUnavailableException stillDown) {
                            return Optional.empty();
                        }
                    },
                    Optional::isPresent,
                    "the same store to answer again once the server is back");
            Optional<SessionRecord> back = answer.orElseThrow();
            assertThat(back).as("the session written before the outage").isPresent();
            assertThat(new String(back.get().attributes().get("cart"), StandardCharsets.UTF_8))
                    .isEqualTo("[42]");
        }
    }

    private static void resetStatistics() throws SQLException {
        try (Connection c = postgres.connect();
                Statement s = c.createStatement()) {
            s.execute("SELECT pg_stat_statements_reset()");
        }
    }

    /** Calls per statement kind since the last reset, leaving out this test's own queries. */
    private static Map<String, Long> statements() throws SQLException {
        Map<String, Long> calls = new LinkedHashMap<>();
        try (Connection c = postgres.connect();
                Statement s = c.createStatement();
                ResultSet rs = s.executeQuery("SELECT query, calls FROM pg_stat_statements"
                        + " WHERE query NOT LIKE '%pg_stat_statements%'"
                        // the driver's own greeting on every new connection, this test's included
                        + " AND query NOT LIKE 'SET application_name%' ORDER BY query")) {
            while (rs.next()) {
                String kind = rs.getString(1).strip().split("\\s+", 2)[0].toUpperCase(java.util.Locale.ROOT);
                calls.merge(kind, rs.getLong(2), Long::sum);
            }
        }
        return calls;
    }
}
