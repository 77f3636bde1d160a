package dev.satchel.store.jdbc;

import dev.satchel.core.ChangeSet;
import dev.satchel.core.SessionRecord;
import dev.satchel.core.SessionStore.SaveOutcome;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Optional;

/**
 * PostgreSQL's saves: the session row and its attribute changes in one statement with
 * data-modifying CTEs, so a save is one round trip, atomic without an explicit transaction. Only a
 * save that removes attributes takes two statements (see {@link #update}).
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
