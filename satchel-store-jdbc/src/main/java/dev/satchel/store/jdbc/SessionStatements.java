package dev.satchel.store.jdbc;

import dev.satchel.core.ChangeSet;
import dev.satchel.core.SessionRecord;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;

/**
 * The SQL every supported database accepts as written, and the binding of a record or a change set
 * to it. What differs between databases is in {@link Dialect}.
 */
final class SessionStatements {

    private SessionStatements() {}

    /** The columns {@link SessionRows#read} expects, in its order: the session, then one attribute. */
    private static final String COLUMNS = "s.pk, s.session_id, s.created_at, s.last_access, s.max_inactive,"
            + " s.absolute_deadline, s.principal, s.version, a.name, a.attr_value";

    /** One session joined to its attributes; parameter: the session id. */
    static final String LOAD = "SELECT " + COLUMNS + " FROM satchel_sessions s"
            + " LEFT JOIN satchel_attributes a ON a.session_pk = s.pk WHERE s.session_id = ?";

    /** A principal's live sessions joined to their attributes; parameters: principal, now. */
    static final String FIND_BY_PRINCIPAL = "SELECT " + COLUMNS + " FROM satchel_sessions s"
            + " LEFT JOIN satchel_attributes a ON a.session_pk = s.pk"
            + " WHERE s.principal = ? AND s.expires_at > ? ORDER BY s.pk";

    /** A new session row at version 1; bound by {@link #bindInsert}. */
    static final String INSERT = "INSERT INTO satchel_sessions (session_id, created_at, last_access,"
            + " max_inactive, absolute_deadline, expires_at, principal, version) VALUES (?, ?, ?, ?, ?, ?, ?, 1)";

    /** Parameters: session id, attribute name. */
    static final String REMOVE_ATTRIBUTE = "DELETE FROM satchel_attributes WHERE session_pk ="
            + " (SELECT pk FROM satchel_sessions WHERE session_id = ?) AND name = ?";

    /** Locks a live session's row; parameters: session id, now. */
    static final String LOCK_LIVE =
            "SELECT pk FROM satchel_sessions WHERE session_id = ? AND expires_at > ? FOR UPDATE";

    /** Parameters: session id, now. */
    static final String DELETE_LIVE = "DELETE FROM satchel_sessions WHERE session_id = ? AND expires_at > ?";

    /** Deletes a session a read found expired, unless a save extended it since; parameters: pk, now. */
    static final String DELETE_EXPIRED = "DELETE FROM satchel_sessions WHERE pk = ? AND expires_at <= ?";

    /** Parameters: session id, now. */
    static final String DELETE_EXPIRED_BY_ID = "DELETE FROM satchel_sessions WHERE session_id = ? AND expires_at <= ?";

    /**
     * Binds {@link #INSERT}.
     *
     * @return the index of the next parameter, for statements that go on after it
     */
    static int bindInsert(PreparedStatement s, SessionRecord record) throws SQLException {
        s.setString(1, record.id().value());
        s.setLong(2, record.createdAt().toEpochMilli());
        s.setLong(3, record.lastAccessedAt().toEpochMilli());
        s.setLong(4, record.maxInactiveInterval().toMillis());
        s.setLong(5, record.absoluteDeadline().toEpochMilli());
        s.setLong(6, record.expiresAt().toEpochMilli());
        setNullableString(s, 7, record.principal());
        return 8;
    }

    /**
     * The session-row update for one shape of change set, for a session live at the bound time. {@code
     * expires_at} comes first because MariaDB evaluates assignments left to right with the new values,
     * while PostgreSQL and H2 use the old ones; first, it reads the old values everywhere and computes
     * the new expiry itself.
     */
    static String updateStatement(ChangeSet changes) {
        return updateStatement("satchel_sessions", changes);
    }

    /** {@link #updateStatement(ChangeSet)} on {@code target}: the table, with an index hint if need be. */
    static String updateStatement(String target, ChangeSet changes) {
        String access = changes.accessedAt().isPresent()
                ? "CASE WHEN last_access < ? THEN ? ELSE last_access END"
                : "last_access";
        String idle = changes.maxInactiveInterval().isPresent() ? "?" : "max_inactive";
        StringBuilder sql = new StringBuilder(320)
                .append("UPDATE ")
                .append(target)
                .append(" SET expires_at = CASE WHEN ")
                .append(idle)
                .append(" > 0 AND ")
                .append(access)
                .append(" + ")
                .append(idle)
                .append(" < absolute_deadline THEN ")
                .append(access)
                .append(" + ")
                .append(idle)
                .append(" ELSE absolute_deadline END");
        if (changes.previousId().isPresent()) {
            sql.append(", session_id = ?");
        }
        if (changes.accessedAt().isPresent()) {
            sql.append(", last_access = ").append(access);
        }
        if (changes.maxInactiveInterval().isPresent()) {
            sql.append(", max_inactive = ?");
        }
        if (changes.principal().isPresent()) {
            sql.append(", principal = ?");
        }
        return sql.append(", version = version + 1 WHERE session_id = ? AND expires_at > ?")
                .toString();
    }

    /**
     * Binds the parameters of {@link #updateStatement}, in the order it placed them.
     *
     * @return the index of the next parameter
     */
    static int bindUpdate(PreparedStatement s, ChangeSet changes, long now) throws SQLException {
        int i = 1;
        Optional<Long> access = changes.accessedAt().map(Instant::toEpochMilli);
        Optional<Long> idle = changes.maxInactiveInterval().map(Duration::toMillis);
        // expires_at: idle, access, idle, access, idle, each as the expression above placed them
        for (int part = 0; part < 5; part++) {
            boolean isIdle = part % 2 == 0;
            if (isIdle && idle.isPresent()) {
                s.setLong(i++, idle.get());
            } else if (!isIdle && access.isPresent()) {
                s.setLong(i++, access.get());
                s.setLong(i++, access.get());
            }
        }
        if (changes.previousId().isPresent()) {
            s.setString(i++, changes.id().value());
        }
        if (access.isPresent()) {
            s.setLong(i++, access.get());
            s.setLong(i++, access.get());
        }
        if (idle.isPresent()) {
            s.setLong(i++, idle.get());
        }
        if (changes.principal().isPresent()) {
            setNullableString(s, i++, changes.principal().get().name());
        }
        s.setString(i++, changes.previousId().orElse(changes.id()).value());
        s.setLong(i++, now);
        return i;
    }

    /** {@code count} rows of two parameters for a {@code VALUES} list: (name, value), ... */
    static String valueRows(int count) {
        return "(?, ?), ".repeat(count - 1) + "(?, ?)";
    }

    /**
     * Binds name and value of each attribute from parameter {@code first} on, as {@link #valueRows}
     * placed them.
     *
     * @return the index of the next parameter
     */
    static int bindAttributes(PreparedStatement s, int first, Map<String, byte[]> attributes) throws SQLException {
        int i = first;
        for (Map.Entry<String, byte[]> e : attributes.entrySet()) {
            s.setString(i++, e.getKey());
            s.setBytes(i++, e.getValue());
        }
        return i;
    }

    /** Whether a statement failed because the session id is already taken. */
    static boolean isDuplicateKey(SQLException e) {
        String state = e.getSQLState();
        // 23505: unique violation (PostgreSQL, H2); 23000: integrity constraint (MariaDB, code 1062)
        return "23505".equals(state) || ("23000".equals(state) && e.getErrorCode() == 1062);
    }

    private static void setNullableString(PreparedStatement s, int index, Optional<String> value) throws SQLException {
        if (value.isPresent()) {
            s.setString(index, value.get());
        } else {
            s.setNull(index, Types.VARCHAR);
        }
    }
}
