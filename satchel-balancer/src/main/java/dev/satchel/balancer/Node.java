package dev.satchel.balancer;

import io.micrometer.core.instrument.Counter;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.OptionalLong;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One backend as the balancer tracks it: health from active checks and passive failures, an
 * optional drain, and counters. Thread-safe: event loops and the health checker share it.
 */
final class Node {
    private static final Logger LOG = LoggerFactory.getLogger(Node.class);

    final NodeAddress address;
    private final Clock clock;
    private final Duration drainDeadline;
    private final int passiveFailures;
    private final int rise;
    private final int fall;

    private volatile boolean healthy = true;
    private final AtomicReference<Instant> drainingSince = new AtomicReference<>();
    private final AtomicInteger consecutiveFailures = new AtomicInteger();
    private final AtomicInteger checkStreak = new AtomicInteger();
    final AtomicInteger active = new AtomicInteger();
    final LongAdder requests = new LongAdder();
    final LongAdder redispatches = new LongAdder();
    final LongAdder failures = new LongAdder();
    /** Sessions the node said it held in its last health answer; negative when it did not say. */
    private volatile long sessionsHeld = -1;
    /** Response counters by status class, 1xx to 5xx, filled lazily by ProxyMetrics. */
    final Counter[] responseCounters = new Counter[5];

    Node(NodeAddress address, Clock clock, Duration drainDeadline, int passiveFailures, int rise, int fall) {
        this.address = address;
        this.clock = clock;
        this.drainDeadline = drainDeadline;
        this.passiveFailures = passiveFailures;
        this.rise = rise;
        this.fall = fall;
    }

    String name() {
        return address.name();
    }

    NodeState state() {
        if (!healthy) {
            return NodeState.DOWN;
        }
        return drainingSince.get() == null ? NodeState.UP : NodeState.DRAINING;
    }

    /** Whether new clients may be sent here. */
    boolean takesNewClients() {
        return state() == NodeState.UP;
    }

    /** Whether a client pinned here (cookie, route, hash) may still be sent here. */
    boolean takesPinnedClients() {
        if (!healthy) {
            return false;
        }
        Instant since = drainingSince.get();
        return since == null || clock.instant().isBefore(since.plus(drainDeadline));
    }

    /** Whether the node is draining and its deadline has passed, so even its pinned clients go. */
    boolean drainOver() {
        Instant since = drainingSince.get();
        return since != null && !clock.instant().isBefore(since.plus(drainDeadline));
    }

    void drain() {
        drainingSince.compareAndSet(null, clock.instant());
    }

    void enable() {
        drainingSince.set(null);
    }

    /** The node answered (below 500, or any answer unless 5xx are observed): it works. */
    void passiveSuccess() {
        consecutiveFailures.set(0);
    }

    /** The node failed a request by its own doing (see {@link Exchange} for what counts). */
    void passiveFailure(String why) {
        failures.increment();
        if (consecutiveFailures.incrementAndGet() >= passiveFailures && healthy) {
            healthy = false;
            checkStreak.set(0);
            LOG.warn("node {} marked down after {} consecutive failures (last: {})", name(), passiveFailures, why);
        }
    }

    /** The result of one active health check. */
    void checked(boolean ok) {
        int streak = checkStreak.updateAndGet(s -> ok ? Math.max(s, 0) + 1 : Math.min(s, 0) - 1);
        if (ok && !healthy && streak >= rise) {
            healthy = true;
            consecutiveFailures.set(0);
            LOG.info("node {} is up again ({} good checks)", name(), rise);
        } else if (!ok && healthy && -streak >= fall) {
            healthy = false;
            LOG.warn("node {} marked down ({} failed checks)", name(), fall);
        }
    }

    /** What the node's last health answer said it held, for the live view. */
    void reportedSessions(OptionalLong held) {
        sessionsHeld = held.orElse(-1);
    }

    OptionalLong sessionsHeld() {
        long held = sessionsHeld;
        return held < 0 ? OptionalLong.empty() : OptionalLong.of(held);
    }
}
