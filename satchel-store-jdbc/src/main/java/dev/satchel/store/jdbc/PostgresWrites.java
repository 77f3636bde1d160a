package dev.satchel.store.jdbc;

import dev.satchel.core.ChangeSet;
import dev.satchel.core.ExpectedValue;
import dev.satchel.core.SessionRecord;
import dev.satchel.core.SessionStore.SaveOutcome;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * PostgreSQL's saves: the session row and its attribute changes in one statement with
 * data-modifying CTEs, so a save is one round trip, atomic without an explicit transaction. Only a
 * save that removes attributes takes two statements (see {@link #update}); so does a conditional
 * save of any shape but the update API's (see {@link #conditionalInOneStatement}).
 */
final class PostgresWrites {

    private PostgresWrites() {}

    /** Inserts a new session and its attributes in one statement; empty if its id is already taken. */
    static Optional<SaveOutcome> insertInOneStatement(Connection c, ChangeSet changes) throws SQLException {
        try (PreparedStatement s =
                c.prepareStatement(insertStatement(changes.setAttributes().size()))) {
            SessionStatements.bindAttributes(
                    s, SessionStatements.bindInsert(s, SessionRecord.create(changes)), changes.setAttributes());
            s.executeUpdate();
            return Optional.of(SaveOutcome.CREATED);
        } catch (SQLException e) {
            if (SessionStatements.isDuplicateKey(e)) {
                return Optional.empty();
            }
            throw e;
        }
    }

    /** Applies a change set to a session live at {@code now}, renaming it first if asked. */
    static SaveOutcome update(Connection c, ChangeSet changes, long now) throws SQLException {
        if (changes.setAttributes().isEmpty() && changes.removedAttributes().isEmpty()) {
            return BatchedWrites.updateRow(c, changes, now) ? SaveOutcome.UPDATED : SaveOutcome.GONE;
        }
        if (changes.removedAttributes().isEmpty()) {
            return updateInOneStatement(c, changes, now);
        }
        // A statement that waited for the row lock still reads with the snapshot it started with, so
        // its removal would miss an attribute the save it waited for inserted. Taking the lock first
        // gives the statement that removes a snapshot taken after that save.
        return Transactions.inTransaction(
                c,
                tx -> lockLive(tx, changes, now)
                        ? Transactions.Outcome.commit(updateInOneStatement(tx, changes, now))
                        : Transactions.Outcome.rollback(SaveOutcome.GONE));
    }

    /**
     * A conditional save (an atomic attribute update) in one statement, for the shape the update API
     * sends: one expected attribute that the save sets, or removes where it expects a value, beside
     * other attributes it sets. Empty for any other shape, which takes {@link ConditionalWrites}.
     *
     * <p>The session row's update runs first and waits for any save in flight on the session, as
     * every save updates that row first. The check is then the write of the expected attribute
     * itself: an update or delete of its row on the condition that it holds the expected bytes,
     * which PostgreSQL re-evaluates on the newest committed row after a wait, or an insert that does
     * nothing if a row exists, which the unique index sees even when the statement's snapshot does
     * not. The other attributes are written only if the check wrote. A conflict still moves the
     * session row's expiry and version on, as a touch would; the caller retries anyway.
     */
    static Optional<SaveOutcome> conditionalInOneStatement(Connection c, ChangeSet changes, long now)
            throws SQLException {
        Optional<Check> check = Check.of(changes);
        if (check.isEmpty()) {
            return Optional.empty();
        }
        Map<String, byte[]> others = new LinkedHashMap<>(changes.setAttributes());
        others.remove(check.get().name());
        try (PreparedStatement s = c.prepareStatement(conditionalStatement(changes, check.get(), others.size()))) {
            int next = check.get().bind(s, SessionStatements.bindUpdate(s, changes, now));
            SessionStatements.bindAttributes(s, next, others);
            try (ResultSet rs = s.executeQuery()) {
                rs.next();
                if (rs.getLong(1) != 1) {
                    return Optional.of(SaveOutcome.GONE);
                }
                return Optional.of(rs.getLong(2) == 1 ? SaveOutcome.UPDATED : SaveOutcome.CONFLICT);
            }
        }
    }

    /** The statement {@link #conditionalInOneStatement} runs: it answers (sessions updated, checks passed). */
    static String conditionalStatement(ChangeSet changes, Check check, int others) {
        StringBuilder sql = new StringBuilder("WITH s AS (")
                .append(SessionStatements.updateStatement(changes))
                .append(" RETURNING pk), c AS (")
                .append(check.sql())
                .append(" RETURNING 1)");
        if (others > 0) {
            sql.append(", u AS (INSERT INTO satchel_attributes (session_pk, name, attr_value)")
                    .append(" SELECT s.pk, v.name, v.val FROM s, c, (VALUES ")
                    .append(SessionStatements.valueRows(others))
                    .append(") AS v(name, val) ON CONFLICT (session_pk, name)")
                    .append(" DO UPDATE SET attr_value = EXCLUDED.attr_value RETURNING 1)");
        }
        return sql.append(" SELECT (SELECT count(*) FROM s), (SELECT count(*) FROM c)")
                .toString();
    }

    /** The write that is also the check of one expected attribute. */
    enum CheckKind {
        /** Expected a value, sets a new one: an update conditional on the old bytes. */
        REPLACE("UPDATE satchel_attributes a SET attr_value = ? FROM s"
                + " WHERE a.session_pk = s.pk AND a.name = ? AND a.attr_value = ?"),
        /** Expected no value, sets one: an insert that does nothing if a row is there. */
        CREATE("INSERT INTO satchel_attributes (session_pk, name, attr_value) SELECT s.pk, ?, ? FROM s"
                + " ON CONFLICT (session_pk, name) DO NOTHING"),
        /** Expected a value, removes it: a delete conditional on the old bytes. */
        REMOVE(
                "DELETE FROM satchel_attributes a USING s WHERE a.session_pk = s.pk AND a.name = ? AND a.attr_value = ?");

        private final String sql;

        CheckKind(String sql) {
            this.sql = sql;
        }
    }

    /** One expected attribute and the write that checks it. */
    record Check(CheckKind kind, String name, Optional<byte[]> expected, Optional<byte[]> value) {

        /** The check for a change set of the shape the one statement handles; empty for any other. */
        static Optional<Check> of(ChangeSet changes) {
            if (changes.expectations().size() != 1 || changes.previousId().isPresent()) {
                return Optional.empty();
            }
            Map.Entry<String, ExpectedValue> only =
                    changes.expectations().entrySet().iterator().next();
            String name = only.getKey();
            Optional<byte[]> expected = only.getValue().bytes();
            Set<String> removed = changes.removedAttributes();
            byte[] value = changes.setAttributes().get(name);
            if (value != null && removed.isEmpty()) {
                return Optional.of(new Check(
                        expected.isPresent() ? CheckKind.REPLACE : CheckKind.CREATE,
                        name,
                        expected,
                        Optional.of(value)));
            }
            if (value == null && expected.isPresent() && removed.equals(Set.of(name))) {
                return Optional.of(new Check(CheckKind.REMOVE, name, expected, Optional.empty()));
            }
            return Optional.empty();
        }

        String sql() {
            return kind.sql;
        }

        /** Binds the check's parameters from {@code first} on; answers the next index. */
        int bind(PreparedStatement s, int first) throws SQLException {
            int i = first;
            if (kind == CheckKind.REPLACE) {
                s.setBytes(i++, value.orElseThrow());
            }
            s.setString(i++, name);
            if (kind == CheckKind.CREATE) {
                s.setBytes(i++, value.orElseThrow());
            } else {
                s.setBytes(i++, expected.orElseThrow());
            }
            return i;
        }
    }

    /** The insert of a session row with {@code attributes} attribute rows, in one statement. */
    static String insertStatement(int attributes) {
        return "WITH s AS (" + SessionStatements.INSERT + " RETURNING pk) INSERT INTO satchel_attributes"
                + " (session_pk, name, attr_value) SELECT s.pk, v.name, v.val FROM s, (VALUES "
                + SessionStatements.valueRows(attributes) + ") AS v(name, val)";
    }

    /**
     * The session-row update, the attribute upserts and the removals in one statement, answering
     * with 1 if the session was live and updated, 0 if it is gone.
     */
    static String updateStatement(ChangeSet changes) {
        StringBuilder sql = new StringBuilder("WITH s AS (")
                .append(SessionStatements.updateStatement(changes))
                .append(" RETURNING pk)");
        if (!changes.setAttributes().isEmpty()) {
            sql.append(", u AS (INSERT INTO satchel_attributes (session_pk, name, attr_value)")
                    .append(" SELECT s.pk, v.name, v.val FROM s, (VALUES ")
                    .append(SessionStatements.valueRows(changes.setAttributes().size()))
                    .append(") AS v(name, val) ON CONFLICT (session_pk, name)")
                    .append(" DO UPDATE SET attr_value = EXCLUDED.attr_value RETURNING 1)");
        }
        if (!changes.removedAttributes().isEmpty()) {
            sql.append(", d AS (DELETE FROM satchel_attributes a USING s WHERE a.session_pk = s.pk AND a.name IN (")
                    .append("?, ".repeat(changes.removedAttributes().size() - 1))
                    .append("?) RETURNING 1)");
        }
        return sql.append(" SELECT count(*) FROM s").toString();
    }

    private static SaveOutcome updateInOneStatement(Connection c, ChangeSet changes, long now) throws SQLException {
        try (PreparedStatement s = c.prepareStatement(updateStatement(changes))) {
            int next = SessionStatements.bindAttributes(
                    s, SessionStatements.bindUpdate(s, changes, now), changes.setAttributes());
            for (String name : changes.removedAttributes()) {
                s.setString(next++, name);
            }
            try (ResultSet rs = s.executeQuery()) {
                return rs.next() && rs.getLong(1) == 1 ? SaveOutcome.UPDATED : SaveOutcome.GONE;
            }
        }
    }

    /** Locks the live session's row until the transaction ends; false if the session is gone. */
    private static boolean lockLive(Connection c, ChangeSet changes, long now) throws SQLException {
        try (PreparedStatement s = c.prepareStatement(SessionStatements.LOCK_LIVE)) {
            s.setString(1, changes.previousId().orElse(changes.id()).value());
            s.setLong(2, now);
            try (ResultSet rs = s.executeQuery()) {
                return rs.next();
            }
        }
    }
}
