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

    /** The wall-clock millisecond a stamp was taken at (for logs and tests). */
    static long millisOf(long stamp) {
        return stamp >>> LOGICAL_BITS;
    }
}
