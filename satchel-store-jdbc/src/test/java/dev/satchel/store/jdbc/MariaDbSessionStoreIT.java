package dev.satchel.store.jdbc;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/** The SQL store against the machine's MariaDB, in a database of its own. */
class MariaDbSessionStoreIT extends JdbcStoreContract {
    static final String SERVER = System.getProperty("satchel.test.mariadb", "jdbc:mariadb://127.0.0.1:3306/");
    static final String USER = "?user=root";
    static final String DATABASE =
            "satchel_it_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);

    @BeforeAll
    static void createDatabase() throws SQLException {
        try (Connection c = DriverManager.getConnection(SERVER + USER)) {
            c.createStatement().execute("CREATE DATABASE " + DATABASE);
        }
    }

    @AfterAll
    static void dropDatabase() throws SQLException {
        try (Connection c = DriverManager.getConnection(SERVER + USER)) {
            c.createStatement().execute("DROP DATABASE " + DATABASE);
        }
    }

    @Override
    protected String jdbcUrl() {
        return SERVER + DATABASE + USER;
    }

    @Override
    protected RowLockHolder.LockQueries lockQueries() {
        return new RowLockHolder.LockQueries(
                "SELECT CONNECTION_ID()",
                "SELECT trx_id FROM information_schema.INNODB_TRX WHERE trx_mysql_thread_id = ?",
                "SELECT requesting_trx_id, blocking_trx_id FROM information_schema.INNODB_LOCK_WAITS");
    }
}
