package dev.satchel.store.jdbc;

import java.sql.Connection;
import java.sql.SQLException;

/**
 * How the store uses a borrowed connection: every statement in autocommit unless it runs in one
 * of the store's own transactions, and the connection handed back in the autocommit mode it was
 * lent in, with no transaction open, whether the work succeeded or failed.
 *
 * <p>The store's own pool would forgive a connection handed back in another mode, but an
 * application's {@code DataSource} need not: the next borrower would find autocommit off, or a
 * transaction of the store's still open.
 */
final class Transactions {

    private Transactions() {}

    /** One unit of the store's work on a connection. */
    @FunctionalInterface
    interface Work<T> {
        T run(Connection c) throws SQLException;
    }

    /** What a transaction's work decided: keep its writes or drop them, and the answer to give. */
    record Outcome<T>(T value, boolean commit) {

        static <T> Outcome<T> commit(T value) {
            return new Outcome<>(value, true);
        }

        static <T> Outcome<T> rollback(T value) {
            return new Outcome<>(value, false);
        }
    }

    /**
     * Runs {@code work} with autocommit on, so each statement stands alone even on a connection lent
     * with autocommit off, and restores the mode it found.
     */
    static <T> T autoCommitted(Connection c, Work<T> work) throws SQLException {
        if (c.getAutoCommit()) {
            return work.run(c);
        }
        c.setAutoCommit(true);
        T value;
        try {
            value = work.run(c);
        } catch (SQLException | RuntimeException e) {
            restore(c, false, e);
            throw e;
        }
        c.setAutoCommit(false);
        return value;
    }

    /**
     * Runs {@code work} in one transaction: committed or rolled back as the work's outcome says,
     * rolled back if it throws, and the connection's autocommit mode restored in every case.
     */
    static <T> T inTransaction(Connection c, Work<Outcome<T>> work) throws SQLException {
        boolean autoCommit = c.getAutoCommit();
        if (autoCommit) {
            c.setAutoCommit(false);
        }
        Outcome<T> outcome;
        try {
            outcome = work.run(c);
            if (outcome.commit()) {
                c.commit();
            } else {
                c.rollback();
            }
        } catch (SQLException | RuntimeException e) {
            try {
                c.rollback();
            } catch (SQLException rollbackFailed) {
                e.addSuppressed(rollbackFailed);
            }
            restore(c, autoCommit, e);
            throw e;
        }
        if (autoCommit) {
            c.setAutoCommit(true);
        }
        return outcome.value();
    }

    /** Puts autocommit back on the way out of a failure, keeping the failure as the one reported. */
    private static void restore(Connection c, boolean autoCommit, Exception failure) {
        try {
            if (c.getAutoCommit() != autoCommit) {
                c.setAutoCommit(autoCommit);
            }
        } catch (SQLException restoreFailed) {
            // The connection is likely broken; the pool discards it.
            failure.addSuppressed(restoreFailed);
        }
    }
}
