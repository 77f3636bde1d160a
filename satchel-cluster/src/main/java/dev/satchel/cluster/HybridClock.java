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

    /** A stamp later than {@code last} (0 for a session never seen) and not before this clock. */
    long after(long last) {
        return Math.max(clock.millis() << LOGICAL_BITS, last + 1);
    }

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
