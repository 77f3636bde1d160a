package dev.satchel.demo;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.SQLIntegrityConstraintViolationException;
import java.sql.Statement;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.Optional;
import org.h2.jdbcx.JdbcConnectionPool;

/**
 * The shop's users, in an embedded H2 database file, apart from any session store. AUTO_SERVER lets
 * several node processes share the file: on one machine, or on several hosts that see the same
 * directory, when H2 announces an address they reach (h2.bindAddress, set by {@code satchel node
 * --host}). Thread-safe.
 */
final class UserStore implements AutoCloseable {
    private final JdbcConnectionPool pool;

    /** Opening attempts before giving up: nodes started together race for the file's lock. */
    private static final int OPEN_ATTEMPTS = 20;

    /** {@code serverPort}: where this process serves the file when it is the first to open it; 0 for any. */
    UserStore(Path dataDir, int serverPort) {
        Path file = dataDir.toAbsolutePath().resolve("users");
        // AUTO_SERVER: the first process serves the file to the others; AUTO_RECONNECT: when that
        // process dies (the demo kills nodes), another one takes over instead of every node failing.
        // A fixed port lets a firewall between hosts name it.
        String port = serverPort == 0 ? "" : ";AUTO_SERVER_PORT=" + serverPort;
        this.pool = JdbcConnectionPool.create(
                "jdbc:h2:file:" + file + ";AUTO_SERVER=TRUE;AUTO_RECONNECT=TRUE" + port, "sa", "");
        SQLException last = null;
        for (int attempt = 1; attempt <= OPEN_ATTEMPTS; attempt++) {
            try (Connection c = pool.getConnection();
                    Statement s = c.createStatement()) {
                s.execute("CREATE TABLE IF NOT EXISTS users ("
                        + "username VARCHAR(32) PRIMARY KEY, "
                        + "password_hash VARCHAR(255) NOT NULL, "
                        + "created_at TIMESTAMP WITH TIME ZONE NOT NULL)");
                return;
            } catch (SQLException e) {
                last = e;
                try {
                    Thread.sleep(100L * attempt);
                } catch (InterruptedException interrupted) {
                    Thread.currentThread().interrupt();
                    break;
                }
            }
        }
        pool.dispose();
        throw new IllegalStateException("cannot open the user database at " + file + ": " + last.getMessage(), last);
    }

    /** Adds a user; returns false if the name is taken. */
    boolean create(String username, String passwordHash, Instant createdAt) {
        try (Connection c = pool.getConnection();
                PreparedStatement p = c.prepareStatement(
                        "INSERT INTO users (username, password_hash, created_at) VALUES (?, ?, ?)")) {
            p.setString(1, username);
            p.setString(2, passwordHash);
            p.setTimestamp(3, Timestamp.from(createdAt));
            p.executeUpdate();
            return true;
        } catch (SQLIntegrityConstraintViolationException e) {
            return false;
        } catch (SQLException e) {
            if ("23505".equals(e.getSQLState())) {
                return false;
            }
            throw new IllegalStateException("user database failed: " + e.getMessage(), e);
        }
    }

    /** The stored hash of a user's password, if the user exists. */
    Optional<String> passwordHash(String username) {
        try (Connection c = pool.getConnection();
                PreparedStatement p = c.prepareStatement("SELECT password_hash FROM users WHERE username = ?")) {
            p.setString(1, username);
            try (ResultSet r = p.executeQuery()) {
                return r.next() ? Optional.of(r.getString(1)) : Optional.empty();
            }
        } catch (SQLException e) {
            throw new IllegalStateException("user database failed: " + e.getMessage(), e);
        }
    }

    @Override
    public void close() {
        pool.dispose();
    }
}
