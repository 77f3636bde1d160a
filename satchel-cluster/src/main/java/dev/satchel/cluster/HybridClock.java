package dev.satchel.cluster;

import java.time.Clock;

/**
 * Stamps that order the saves of one session across nodes and views: a hybrid logical clock. A
 * stamp is the wall-clock millisecond shifted left 16 bits, plus a counter for saves within one
 * millisecond; a new stamp is always above the session's last one, so a node whose clock lags
 * still orders its saves after the copy it holds. Between two copies that never saw each other
 * (two sides of a partition), the one written later by the wall clock wins, give or take the
 * nodes' clock skew.
 */
final class HybridClock {
    private static final int LOGICAL_BITS = 16;
    private final Clock clock;

    HybridClock(Clock clock) {
        this.clock = clock;
    }

    /** The last stamp this clock gave: a node's stamps only grow, whatever its wall clock does. */
    private final java.util.concurrent.atomic.AtomicLong given = new java.util.concurrent.atomic.AtomicLong();

    /**
     * A stamp later than {@code last} (0 for a session never seen), not before this clock, and
     * later than every stamp this clock gave before, so a node's saves of a session are ordered by
     * their stamps even when it holds no copy to stamp after, or its wall clock steps back.
     */
    long after(long last) {
        long now = clock.millis() << LOGICAL_BITS;
        long wanted = Math.max(now, last + 1);
        if (wanted - now > AHEAD_KEPT) {
            // A stamp from a node whose clock runs well ahead: this session's saves follow it, but
            // the node's other sessions keep their own time rather than all jump ahead with it.
            return Math.max(wanted, given.get() + 1);
        }
        return given.accumulateAndGet(wanted, (previous, next) -> Math.max(previous + 1, next));
    }

    /** How far ahead of this clock a stamp may move the stamps of every session here: one second. */
    private static final long AHEAD_KEPT = 1000L << LOGICAL_BITS;

    /**
     * Whether a stamp from another node can be real: not more than an hour ahead of this clock. A
     * stamp far in the future (a corrupt or hostile message, a node whose clock is badly wrong)
     * would win over every later save of its session.
     */
    boolean plausible(long stamp) {
        return stamp >= 0 && stamp <= (clock.millis() + 3_600_000L) << LOGICAL_BITS;
    }

    /** The wall-clock millisecond a stamp was taken at (for logs and tests). */
    static long millisOf(long stamp) {
        return stamp >>> LOGICAL_BITS;
    }
}
