package dev.satchel.store.jdbc;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/** The SQL store against the machine's PostgreSQL, in a schema of its own. */
class PostgresSessionStoreIT extends JdbcStoreContract {
    static final String SERVER =
            System.getProperty("satchel.test.postgres", "jdbc:postgresql://127.0.0.1:5432/test?user=postgres");
    static final String SCHEMA =
            "satchel_it_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);

    @BeforeAll
    static void createSchema() throws SQLException {
        try (Connection c = DriverManager.getConnection(SERVER)) {
            c.createStatement().execute("CREATE SCHEMA " + SCHEMA);
        }
    }

    @AfterAll
    static void dropSchema() throws SQLException {
        try (Connection c = DriverManager.getConnection(SERVER)) {
            c.createStatement().execute("DROP SCHEMA " + SCHEMA + " CASCADE");
        }
    }

    @Override
    protected String jdbcUrl() {
        return SERVER + "&currentSchema=" + SCHEMA;
    }

    @Override
    protected RowLockHolder.LockQueries lockQueries() {
        return new RowLockHolder.LockQueries(
                "SELECT pg_backend_pid()",
                "SELECT CAST(? AS BIGINT)",
                "SELECT pid, unnest(pg_blocking_pids(pid)) FROM pg_stat_activity");
    }
}
