package dev.satchel.store.jdbc;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Objects;

/**
 * Which node may sweep: the one whose id is in the single row of {@code satchel_sweeper}, until the
 * lease there runs out. A lease row rather than a vendor advisory lock, because one {@code UPDATE}
 * works alike on every database, and a node that dies holding it loses it when the lease ends.
 */
final class SweepLease {

    /** Takes the lease if it has run out or is already ours, and extends it; one row updated if so. */
    static final String TAKE = "UPDATE satchel_sweeper SET holder = ?, lease_until = ?"
            + " WHERE id = 1 AND (lease_until <= ? OR holder = ?)";

    /** Ends our lease now, so another node need not wait for it to run out. */
    static final String RELEASE = "UPDATE satchel_sweeper SET lease_until = 0 WHERE id = 1 AND holder = ?";

    private final String holder;
    private final long lengthMillis;

    /**
     * @param holder this node's id, unique in the cluster
     * @param length how long a taken lease lasts: longer than the time between two sweeps, so the
     *     holder keeps it while it lives
     */
    SweepLease(String holder, Duration length) {
        this.holder = Objects.requireNonNull(holder, "holder");
        this.lengthMillis = length.toMillis();
    }

    /** Takes or extends the lease at {@code now}; false if another node holds it. */
    boolean tryTake(Connection c, long now) throws SQLException {
        try (PreparedStatement s = c.prepareStatement(TAKE)) {
            s.setString(1, holder);
            s.setLong(2, now + lengthMillis);
            s.setLong(3, now);
            s.setString(4, holder);
            return s.executeUpdate() == 1;
        }
    }

    /** Hands the lease back if this node holds it; false if it did not. */
    boolean release(Connection c) throws SQLException {
        try (PreparedStatement s = c.prepareStatement(RELEASE)) {
            s.setString(1, holder);
            return s.executeUpdate() == 1;
        }
    }
}
