package dev.satchel.store.jdbc;

import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.Locale;
import java.util.Optional;

/**
 * The few statements that differ between the databases Satchel supports: the attribute upsert and
 * the sweep, which must say which rows it deleted. Everything else is plain SQL every one accepts.
 */
enum Dialect {
    POSTGRESQL(
            "postgresql",
            "INSERT INTO satchel_attributes (session_pk, name, attr_value) SELECT pk, ?, ? FROM satchel_sessions"
                    + " WHERE session_id = ? ON CONFLICT (session_pk, name) DO UPDATE SET attr_value = EXCLUDED.attr_value",
            // After waiting for a row lock, PostgreSQL rechecks only the outer WHERE on the new row
            // version: the expiry test is repeated there, so a touch that just extended the session
            // keeps it. The plan stays a nested loop on pk, with the recheck as a filter.
            "DELETE FROM satchel_sessions WHERE pk IN (SELECT pk FROM satchel_sessions WHERE expires_at <= ?"
                    + " ORDER BY expires_at LIMIT ?) AND expires_at <= ? RETURNING session_id"),
    MARIADB(
            "mariadb",
            "INSERT INTO satchel_attributes (session_pk, name, attr_value) SELECT pk, ?, ? FROM satchel_sessions"
                    + " WHERE session_id = ? ON DUPLICATE KEY UPDATE attr_value = VALUES(attr_value)",
            "DELETE FROM satchel_sessions WHERE expires_at <= ? ORDER BY expires_at LIMIT ? RETURNING session_id"),
    H2(
            "h2",
            "MERGE INTO satchel_attributes (session_pk, name, attr_value) KEY (session_pk, name)"
                    + " SELECT pk, CAST(? AS VARCHAR(255)), CAST(? AS VARBINARY) FROM satchel_sessions"
                    + " WHERE session_id = ?",
            "SELECT session_id FROM OLD TABLE (DELETE FROM satchel_sessions WHERE expires_at <= ?"
                    + " FETCH FIRST ? ROWS ONLY)");

    /** Folder of this dialect's migrations under {@code dev/satchel/store/jdbc/migration}. */
    final String migrations;

    /** Writes one attribute by session id; parameters: name, value, session id. */
    final String upsertAttribute;

    /** Deletes one bounded batch of expired sessions, returning their ids; see {@link #bindSweep}. */
    final String sweepBatch;

    Dialect(String migrations, String upsertAttribute, String sweepBatch) {
        this.migrations = migrations;
        this.upsertAttribute = upsertAttribute;
        this.sweepBatch = sweepBatch;
    }

    /** Binds {@link #sweepBatch}: the cutoff, the batch size, and the cutoff again where it is repeated. */
    void bindSweep(PreparedStatement s, long now, int limit) throws SQLException {
        s.setLong(1, now);
        s.setInt(2, limit);
        if (this == POSTGRESQL) {
            s.setLong(3, now);
        }
    }

    /** The dialect of a JDBC URL, if Satchel supports that database. */
    static Optional<Dialect> ofUrl(String jdbcUrl) {
        String url = jdbcUrl.toLowerCase(Locale.ROOT);
        if (url.startsWith("jdbc:postgresql:")) {
            return Optional.of(POSTGRESQL);
        }
        if (url.startsWith("jdbc:mariadb:") || url.startsWith("jdbc:mysql:")) {
            return Optional.of(MARIADB);
        }
        if (url.startsWith("jdbc:h2:")) {
            return Optional.of(H2);
        }
        return Optional.empty();
    }

    /** The dialect of a connected database, from its product name. */
    static Optional<Dialect> ofProduct(String productName) {
        String name = productName.toLowerCase(Locale.ROOT);
        if (name.contains("postgres")) {
            return Optional.of(POSTGRESQL);
        }
        if (name.contains("mariadb") || name.contains("mysql")) {
            return Optional.of(MARIADB);
        }
        if (name.equals("h2")) {
            return Optional.of(H2);
        }
        return Optional.empty();
    }
}
