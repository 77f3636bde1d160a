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
import java.time.OffsetDateTime;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
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
    UserStore(PrivateDataDir dataDir, int serverPort) {
        Path file = dataDir.path().resolve("users");
        // AUTO_SERVER: the first process serves the file to the others; AUTO_RECONNECT: when that
        // process dies (the demo kills nodes), another one takes over instead of every node failing.
        // A fixed port lets a firewall between hosts name it.
        String port = serverPort == 0 ? "" : ";AUTO_SERVER_PORT=" + serverPort;
        // The password keeps out every local user but the nodes' own (PrivateDataDir). No trace
        // file: one made after the files were restricted would have the umask's mode, and the
        // node logs what fails anyway.
        // WRITE_DELAY=0: H2 otherwise writes a commit to its file up to a second later, and a
        // node killed (SIGKILL) meanwhile took acknowledged signups with it (the lab found the
        // same of logouts in the sealed cookies' revocation list).
        String url = "jdbc:h2:file:" + file + ";AUTO_SERVER=TRUE;AUTO_RECONNECT=TRUE;TRACE_LEVEL_FILE=0;WRITE_DELAY=0"
                + port;
        String password = dataDir.databasePassword();
        this.pool = JdbcConnectionPool.create(url, PrivateDataDir.DATABASE_USER, password);
        SQLException last = null;
        for (int attempt = 1; attempt <= OPEN_ATTEMPTS; attempt++) {
            try {
                PrivateDataDir.adoptOldDatabase(url, password);
            } catch (SQLException e) {
                last = e;
                pause(attempt);
                continue;
            }
            try (Connection c = pool.getConnection();
                    Statement s = c.createStatement()) {
                s.execute("CREATE TABLE IF NOT EXISTS users ("
                        + "username VARCHAR(32) PRIMARY KEY, "
                        + "password_hash VARCHAR(255) NOT NULL, "
                        + "created_at TIMESTAMP WITH TIME ZONE NOT NULL)");
                // Throttle counters live here because every node shares this database: a guess
                // counts wherever it lands.
                s.execute("CREATE TABLE IF NOT EXISTS throttle ("
                        + "throttle_key VARCHAR(400) PRIMARY KEY, "
                        + "hits INT NOT NULL, "
                        + "last_hit TIMESTAMP WITH TIME ZONE NOT NULL)");
                dataDir.restrictFiles();
                return;
            } catch (SQLException e) {
                last = e;
                pause(attempt);
            }
        }
        pool.dispose();
        throw new IllegalStateException("cannot open the user database at " + file + ": " + last.getMessage(), last);
    }

    /** Nodes started together race for the file's lock: wait a little longer each time. */
    private static void pause(int attempt) {
        try {
            Thread.sleep(100L * attempt);
        } catch (InterruptedException interrupted) {
            Thread.currentThread().interrupt();
        }
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

    /** A throttle counter: how many hits, the last at {@code last}. */
    record Hits(int count, Instant last) {}

    /** The counters of those keys that have one. */
    Map<String, Hits> hits(List<String> keys) {
        String marks = String.join(", ", keys.stream().map(k -> "?").toList());
        try (Connection c = pool.getConnection();
                PreparedStatement p = c.prepareStatement(
                        "SELECT throttle_key, hits, last_hit FROM throttle WHERE throttle_key IN (" + marks + ")")) {
            for (int i = 0; i < keys.size(); i++) {
                p.setString(i + 1, keys.get(i));
            }
            Map<String, Hits> found = new HashMap<>();
            try (ResultSet r = p.executeQuery()) {
                while (r.next()) {
                    found.put(
                            r.getString(1),
                            new Hits(
                                    r.getInt(2),
                                    r.getObject(3, OffsetDateTime.class).toInstant()));
                }
            }
            return Map.copyOf(found);
        } catch (SQLException e) {
            throw new IllegalStateException("user database failed: " + e.getMessage(), e);
        }
    }

    /** Counts a hit on each key at {@code at}; a counter last hit before {@code staleBefore} starts again. */
    void hit(List<String> keys, Instant at, Instant staleBefore) {
        for (String key : keys) {
            try {
                upsertHit(key, at, staleBefore);
            } catch (SQLException first) {
                // Two nodes inserting the same new key: the loser's retry finds the row and updates it.
                try {
                    upsertHit(key, at, staleBefore);
                } catch (SQLException e) {
                    throw new IllegalStateException("user database failed: " + e.getMessage(), e);
                }
            }
        }
    }

    private void upsertHit(String key, Instant at, Instant staleBefore) throws SQLException {
        try (Connection c = pool.getConnection();
                PreparedStatement p = c.prepareStatement("MERGE INTO throttle t USING (VALUES (CAST(? AS VARCHAR(400)),"
                        + " CAST(? AS TIMESTAMP WITH TIME ZONE), CAST(? AS TIMESTAMP WITH TIME ZONE)))"
                        + " AS s(k, at, stale) ON t.throttle_key = s.k"
                        + " WHEN MATCHED THEN UPDATE SET"
                        + " hits = CASE WHEN t.last_hit < s.stale THEN 1 ELSE t.hits + 1 END, last_hit = s.at"
                        + " WHEN NOT MATCHED THEN INSERT (throttle_key, hits, last_hit) VALUES (s.k, 1, s.at)")) {
            p.setString(1, key);
            p.setTimestamp(2, Timestamp.from(at));
            p.setTimestamp(3, Timestamp.from(staleBefore));
            p.executeUpdate();
        }
    }

    /** Drops these counters. */
    void forget(List<String> keys) {
        try (Connection c = pool.getConnection();
                PreparedStatement p = c.prepareStatement("DELETE FROM throttle WHERE throttle_key = ?")) {
            for (String key : keys) {
                p.setString(1, key);
                p.executeUpdate();
            }
        } catch (SQLException e) {
            throw new IllegalStateException("user database failed: " + e.getMessage(), e);
        }
    }

    /** Drops counters last hit before {@code before}, so the table does not grow with every address seen. */
    void forgetOlderThan(Instant before) {
        try (Connection c = pool.getConnection();
                PreparedStatement p = c.prepareStatement("DELETE FROM throttle WHERE last_hit < ?")) {
            p.setTimestamp(1, Timestamp.from(before));
            p.executeUpdate();
        } catch (SQLException e) {
            throw new IllegalStateException("user database failed: " + e.getMessage(), e);
        }
    }

    @Override
    public void close() {
        pool.dispose();
    }
}
