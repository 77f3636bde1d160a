package dev.satchel.store.jdbc;

import dev.satchel.core.ChangeSet;
import dev.satchel.core.SessionId;
import dev.satchel.core.SessionRecord;
import dev.satchel.core.SessionStore.SaveOutcome;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.Map;
import java.util.Optional;

/**
 * The portable way to write a save: one statement when only the session row changes, otherwise one
 * transaction of the session row, every attribute upsert in one batch, then every removal in one
 * batch. MariaDB and H2 save this way (MariaDB has no data-modifying CTEs, H2 none that return
 * keys); PostgreSQL does for the saves that touch no attribute.
 */
final class BatchedWrites {

    private BatchedWrites() {}

    /**
     * Inserts a new session and its attributes; empty if its id is already taken.
     *
     * @param upsertAttribute the dialect's {@link Dialect#upsertAttribute()}
     */
    static Optional<SaveOutcome> insert(Connection c, ChangeSet changes, String upsertAttribute) throws SQLException {
        SessionRecord record = SessionRecord.create(changes);
        if (changes.setAttributes().isEmpty()) {
            return insertRow(c, record) ? Optional.of(SaveOutcome.CREATED) : Optional.empty();
        }
        return Transactions.inTransaction(c, tx -> {
            if (!insertRow(tx, record)) {
                return Transactions.Outcome.rollback(Optional.<SaveOutcome>empty());
            }
            upsertAttributes(tx, changes.id(), changes.setAttributes(), upsertAttribute);
            return Transactions.Outcome.commit(Optional.of(SaveOutcome.CREATED));
        });
    }

    /**
     * Applies a change set to a session live at {@code now}, renaming it first if asked.
     *
     * @param upsertAttribute the dialect's {@link Dialect#upsertAttribute()}
     * @param target the dialect's {@link Dialect#updateTarget()}
     */
    static SaveOutcome update(Connection c, ChangeSet changes, long now, String upsertAttribute, String target)
            throws SQLException {
        if (changes.setAttributes().isEmpty() && changes.removedAttributes().isEmpty()) {
            return updateRow(c, changes, now, target) ? SaveOutcome.UPDATED : SaveOutcome.GONE;
        }
        return Transactions.inTransaction(c, tx -> {
            if (!updateRow(tx, changes, now, target)) {
                return Transactions.Outcome.rollback(SaveOutcome.GONE);
            }
            upsertAttributes(tx, changes.id(), changes.setAttributes(), upsertAttribute);
            removeAttributes(tx, changes);
            return Transactions.Outcome.commit(SaveOutcome.UPDATED);
        });
    }

    /** Inserts the session row; false if its id is already taken. */
    static boolean insertRow(Connection c, SessionRecord record) throws SQLException {
        try (PreparedStatement s = c.prepareStatement(SessionStatements.INSERT)) {
            SessionStatements.bindInsert(s, record);
            s.executeUpdate();
            return true;
        } catch (SQLException e) {
            if (SessionStatements.isDuplicateKey(e)) {
                return false;
            }
            throw e;
        }
    }

    /** Updates the session row (renaming it if asked); false if the session is gone. */
    static boolean updateRow(Connection c, ChangeSet changes, long now) throws SQLException {
        return updateRow(c, changes, now, "satchel_sessions");
    }

    private static boolean updateRow(Connection c, ChangeSet changes, long now, String target) throws SQLException {
        try (PreparedStatement s = c.prepareStatement(SessionStatements.updateStatement(target, changes))) {
            SessionStatements.bindUpdate(s, changes, now);
            return s.executeUpdate() > 0;
        }
    }

    private static void upsertAttributes(
            Connection c, SessionId id, Map<String, byte[]> attributes, String upsertAttribute) throws SQLException {
        if (attributes.isEmpty()) {
            return;
        }
        try (PreparedStatement s = c.prepareStatement(upsertAttribute)) {
            for (Map.Entry<String, byte[]> e : attributes.entrySet()) {
                s.setString(1, e.getKey());
                s.setBytes(2, e.getValue());
                s.setString(3, id.value());
                s.addBatch();
            }
            s.executeBatch();
        }
    }

    private static void removeAttributes(Connection c, ChangeSet changes) throws SQLException {
        if (changes.removedAttributes().isEmpty()) {
            return;
        }
        try (PreparedStatement s = c.prepareStatement(SessionStatements.REMOVE_ATTRIBUTE)) {
            for (String name : changes.removedAttributes()) {
                s.setString(1, changes.id().value());
                s.setString(2, name);
                s.addBatch();
            }
            s.executeBatch();
        }
    }
}
