package dev.satchel.store.jdbc;

import dev.satchel.core.ChangeSet;
import dev.satchel.core.ExpectedValue;
import dev.satchel.core.SessionStore.SaveOutcome;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Conditional saves (atomic attribute updates): one transaction that locks the live session's row,
 * reads the expected attributes, and writes the change set only if they hold what the caller read.
 * Every write of a session's attributes first updates, and so locks, its session row; so once this
 * transaction holds that lock, the values it reads cannot change before its own write. The read is
 * a new statement after the lock is granted, so it sees what the save it waited for committed
 * (PostgreSQL and H2 read committed; MariaDB takes its snapshot at that first plain read).
 */
final class ConditionalWrites {

    private ConditionalWrites() {}

    /**
     * Applies {@code changes} if its expectations hold.
     *
     * @param write the dialect's ordinary update, run on the same connection inside the transaction
     */
    static SaveOutcome update(Connection c, ChangeSet changes, long now, Transactions.Work<SaveOutcome> write)
            throws SQLException {
        return Transactions.inTransaction(c, tx -> {
            Optional<Long> pk = lockLive(tx, changes, now);
            if (pk.isEmpty()) {
                return Transactions.Outcome.rollback(SaveOutcome.GONE);
            }
            Map<String, byte[]> held =
                    read(tx, pk.get(), changes.expectations().keySet().size(), changes);
            for (Map.Entry<String, ExpectedValue> expected :
                    changes.expectations().entrySet()) {
                if (!expected.getValue().matches(Optional.ofNullable(held.get(expected.getKey())))) {
                    return Transactions.Outcome.rollback(SaveOutcome.CONFLICT);
                }
            }
            return Transactions.Outcome.commit(write.run(tx));
        });
    }

    /** The statement that reads {@code names} attributes of one session row. */
    static String readStatement(int names) {
        return "SELECT name, attr_value FROM satchel_attributes WHERE session_pk = ? AND name IN ("
                + "?, ".repeat(names - 1) + "?)";
    }

    /**
     * Locks the session's row by its id alone and checks its expiry here: with the expiry in the
     * WHERE clause, MariaDB may scan the expiry index and lock a range of other sessions' rows,
     * which deadlocked racing updates of one session.
     */
    private static Optional<Long> lockLive(Connection c, ChangeSet changes, long now) throws SQLException {
        try (PreparedStatement s = c.prepareStatement(LOCK_BY_ID)) {
            s.setString(1, changes.id().value());
            try (ResultSet rs = s.executeQuery()) {
                return rs.next() && rs.getLong(2) > now ? Optional.of(rs.getLong(1)) : Optional.empty();
            }
        }
    }

    private static final String LOCK_BY_ID =
            "SELECT pk, expires_at FROM satchel_sessions WHERE session_id = ? FOR UPDATE";

    private static Map<String, byte[]> read(Connection c, long pk, int names, ChangeSet changes) throws SQLException {
        Map<String, byte[]> held = new HashMap<>(names * 2);
        try (PreparedStatement s = c.prepareStatement(readStatement(names))) {
            s.setLong(1, pk);
            int i = 2;
            for (String name : changes.expectations().keySet()) {
                s.setString(i++, name);
            }
            try (ResultSet rs = s.executeQuery()) {
                while (rs.next()) {
                    held.put(rs.getString(1), rs.getBytes(2));
                }
            }
        }
        return held;
    }
}
