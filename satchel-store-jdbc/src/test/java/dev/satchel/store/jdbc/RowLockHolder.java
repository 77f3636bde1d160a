package dev.satchel.store.jdbc;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/**
 * A connection of the test's own with a transaction left open, so that the store's statements wait
 * for the row locks it holds: the test starts the store's work on other threads, waits until the
 * database says they are blocked behind this transaction, then commits. The interleaving is made by
 * the database's locks, not by timing.
 */
final class RowLockHolder implements AutoCloseable {

    /**
     * The queries that find who waits for whom, which differ per database. Who waits for whom is
     * worked out here rather than in SQL because MariaDB answers a join of its lock tables empty.
     *
     * @param ownSessionId run on the holder: its session or connection number on the server
     * @param holderKey given that number, the key by which {@code waitEdges} names the holder
     * @param waitEdges one row per wait: the waiter's key, then the key of whom it waits for
     */
    record LockQueries(String ownSessionId, String holderKey, String waitEdges) {}

    private final Connection holder;
    private final Connection observer;
    private final LockQueries queries;
    private final long holderSession;

    RowLockHolder(String jdbcUrl, LockQueries queries) throws SQLException {
        this.queries = queries;
        this.holder = DriverManager.getConnection(jdbcUrl);
        this.observer = DriverManager.getConnection(jdbcUrl);
        try (PreparedStatement s = holder.prepareStatement(queries.ownSessionId());
                ResultSet rs = s.executeQuery()) {
            rs.next();
            holderSession = rs.getLong(1);
        }
        holder.setAutoCommit(false);
    }

    /** Runs one statement in the open transaction; returns the rows it changed or selected. */
    int execute(String sql, Object... parameters) throws SQLException {
        try (PreparedStatement s = holder.prepareStatement(sql)) {
            for (int i = 0; i < parameters.length; i++) {
                s.setObject(i + 1, parameters[i]);
            }
            if (s.execute()) {
                int rows = 0;
                try (ResultSet rs = s.getResultSet()) {
                    while (rs.next()) {
                        rows++;
                    }
                }
                return rows;
            }
            return s.getUpdateCount();
        }
    }

    /**
     * Returns once {@code count} connections wait, directly or behind one another, for this
     * transaction's locks, or once every racer has finished without waiting (which the caller's
     * assertions then catch). Polls the server's lock tables; the pause only paces the polling.
     *
     * @throws AssertionError if neither happens within a minute, so a lost racer fails the test
     *     instead of hanging the build
     */
    void awaitWaiters(int count, List<? extends Future<?>> racers) throws SQLException, InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(1);
        while (waiters() < count) {
            if (racers.stream().allMatch(Future::isDone)) {
                return;
            }
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError("no " + count + " waiters for the held locks within a minute");
            }
            // MariaDB refreshes its lock tables only if they were last read over 100 ms ago:
            // polled faster, it keeps answering with the tables as they were at the first poll.
            TimeUnit.MILLISECONDS.sleep(150);
        }
    }

    /** Connections waiting for this transaction's locks, directly or behind another waiter. */
    int waiters() throws SQLException {
        Set<String> behind = new HashSet<>();
        try (PreparedStatement s = observer.prepareStatement(queries.holderKey())) {
            s.setLong(1, holderSession);
            try (ResultSet rs = s.executeQuery()) {
                if (!rs.next()) {
                    return 0;
                }
                behind.add(rs.getString(1));
            }
        }
        Map<String, Set<String>> waitersOf = new HashMap<>();
        try (PreparedStatement s = observer.prepareStatement(queries.waitEdges());
                ResultSet rs = s.executeQuery()) {
            while (rs.next()) {
                waitersOf.computeIfAbsent(rs.getString(2), k -> new HashSet<>()).add(rs.getString(1));
            }
        }
        Deque<String> next = new ArrayDeque<>(behind);
        while (!next.isEmpty()) {
            for (String waiter : waitersOf.getOrDefault(next.pop(), Set.of())) {
                if (behind.add(waiter)) {
                    next.push(waiter);
                }
            }
        }
        return behind.size() - 1;
    }

    void commit() throws SQLException {
        holder.commit();
    }

    @Override
    public void close() throws SQLException {
        try (holder;
                observer) {
            holder.rollback();
        }
    }
}
