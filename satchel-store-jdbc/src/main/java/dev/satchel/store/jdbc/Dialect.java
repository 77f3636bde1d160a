package dev.satchel.store.jdbc;

import dev.satchel.core.ChangeSet;
import dev.satchel.core.SessionStore.SaveOutcome;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * Everything that differs between the databases Satchel supports, one constant per database: the
 * migration folder, the driver's timeout properties, the attribute upsert, the sweep statement
 * (which must say which rows it deleted), and how a save is written. Everything else is portable
 * SQL in {@link SessionStatements}; the store never asks which database it runs on.
 */
enum Dialect {
    POSTGRESQL("postgresql") {
        @Override
        String upsertAttribute() {
            return "INSERT INTO satchel_attributes (session_pk, name, attr_value) SELECT pk, ?, ? FROM satchel_sessions"
                    + " WHERE session_id = ? ON CONFLICT (session_pk, name) DO UPDATE SET attr_value = EXCLUDED.attr_value";
        }

        /**
         * After waiting for a row lock, PostgreSQL rechecks only the outer WHERE on the new row
         * version: the expiry test is repeated there, so a touch that just extended the session keeps
         * it. The plan stays a nested loop on pk, with the recheck as a filter.
         */
        @Override
        String sweepBatch() {
            return "DELETE FROM satchel_sessions WHERE pk IN (SELECT pk FROM satchel_sessions WHERE expires_at <= ?"
                    + " ORDER BY expires_at LIMIT ?) AND expires_at <= ? RETURNING session_id";
        }

        @Override
        void bindSweep(PreparedStatement s, long now, int limit) throws SQLException {
            super.bindSweep(s, now, limit);
            s.setLong(3, now);
        }

        /** PgJDBC counts its timeouts in seconds; batched inserts stay unrewritten so counts stay exact. */
        @Override
        Map<String, String> driverProperties(Duration timeout) {
            String seconds = Long.toString(Math.max(1, (timeout.toMillis() + 999) / 1000));
            return Map.of("socketTimeout", seconds, "connectTimeout", seconds, "reWriteBatchedInserts", "false");
        }

        @Override
        Optional<SaveOutcome> insert(Connection c, ChangeSet changes) throws SQLException {
            return changes.setAttributes().isEmpty()
                    ? super.insert(c, changes)
                    : PostgresWrites.insertInOneStatement(c, changes);
        }

        @Override
        SaveOutcome update(Connection c, ChangeSet changes, long now) throws SQLException {
            return PostgresWrites.update(c, changes, now);
        }

        @Override
        SaveOutcome conditionalUpdate(Connection c, ChangeSet changes, long now) throws SQLException {
            Optional<SaveOutcome> inOne = PostgresWrites.conditionalInOneStatement(c, changes, now);
            return inOne.isPresent() ? inOne.get() : super.conditionalUpdate(c, changes, now);
        }
    },

    MARIADB("mariadb") {
        @Override
        String upsertAttribute() {
            return "INSERT INTO satchel_attributes (session_pk, name, attr_value) SELECT pk, ?, ? FROM satchel_sessions"
                    + " WHERE session_id = ? ON DUPLICATE KEY UPDATE attr_value = VALUES(attr_value)";
        }

        @Override
        String sweepBatch() {
            return "DELETE FROM satchel_sessions WHERE expires_at <= ? ORDER BY expires_at LIMIT ? RETURNING session_id";
        }

        /**
         * On a small table MariaDB may run the update's {@code session_id = ? AND expires_at > ?}
         * as a range scan of the expiry index, locking that index before the row: two updates of
         * one session then took the same two locks in opposite orders and deadlocked (racing
         * atomic updates hit it every run). Forcing the id's unique index gives one lock order.
         */
        @Override
        String updateTarget() {
            return "satchel_sessions FORCE INDEX (satchel_sessions_session_id)";
        }

        /** MariaDB Connector/J counts its timeouts in milliseconds. */
        @Override
        Map<String, String> driverProperties(Duration timeout) {
            String millis = Long.toString(timeout.toMillis());
            return Map.of("socketTimeout", millis, "connectTimeout", millis);
        }
    },

    H2("h2") {
        @Override
        String upsertAttribute() {
            return "MERGE INTO satchel_attributes (session_pk, name, attr_value) KEY (session_pk, name)"
                    + " SELECT pk, CAST(? AS VARCHAR(255)), CAST(? AS VARBINARY) FROM satchel_sessions"
                    + " WHERE session_id = ?";
        }

        @Override
        String sweepBatch() {
            return "SELECT session_id FROM OLD TABLE (DELETE FROM satchel_sessions WHERE expires_at <= ?"
                    + " FETCH FIRST ? ROWS ONLY)";
        }

        /** In-process or local: no socket to time out. */
        @Override
        Map<String, String> driverProperties(Duration timeout) {
            return Map.of();
        }
    };

    /** Folder of this dialect's migrations under {@code dev/satchel/store/jdbc/migration}. */
    final String migrations;

    Dialect(String migrations) {
        this.migrations = migrations;
    }

    /** Writes one attribute by session id, inserting or replacing; parameters: name, value, session id. */
    abstract String upsertAttribute();

    /** Deletes one bounded batch of expired sessions, answering with their ids; see {@link #bindSweep}. */
    abstract String sweepBatch();

    /** Binds {@link #sweepBatch}: the cutoff, the batch size, and the cutoff again where it is repeated. */
    void bindSweep(PreparedStatement s, long now, int limit) throws SQLException {
        s.setLong(1, now);
        s.setInt(2, limit);
    }

    /**
     * Driver properties for the store's own pool, so that a database that stops answering fails a
     * call within {@code timeout} instead of holding it forever.
     */
    abstract Map<String, String> driverProperties(Duration timeout);

    /** Inserts a new session from its first change set; empty if its id is already taken. */
    Optional<SaveOutcome> insert(Connection c, ChangeSet changes) throws SQLException {
        return BatchedWrites.insert(c, changes, upsertAttribute());
    }

    /** Applies a change set to a session live at {@code now}, renaming it first if asked. */
    SaveOutcome update(Connection c, ChangeSet changes, long now) throws SQLException {
        return BatchedWrites.update(c, changes, now, upsertAttribute(), updateTarget());
    }

    /**
     * Applies a change set only if the attributes it expects hold what it expects (an atomic
     * attribute update); {@link SaveOutcome#CONFLICT} if one does not.
     */
    SaveOutcome conditionalUpdate(Connection c, ChangeSet changes, long now) throws SQLException {
        return ConditionalWrites.update(c, changes, now, tx -> update(tx, changes, now));
    }

    /** The table an update of the session row names: the table itself, or with an index hint. */
    String updateTarget() {
        return "satchel_sessions";
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
