package dev.satchel.cluster;

import dev.satchel.core.SessionStoreUnavailableException;
import java.time.Clock;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * What both clustering strategies are configured with: the cluster's name, the JGroups stack,
 * this node's name, a timeout and a clock. Not thread-safe.
 *
 * @param <B> the concrete builder, so that every setter returns it
 * @param <S> the store it builds
 */
public abstract class ClusterStoreBuilder<B extends ClusterStoreBuilder<B, S>, S> {
    final String clusterName;
    String config = "dev/satchel/cluster/tcp.xml";
    Optional<String> nodeName = Optional.empty();
    Duration timeout = Duration.ofSeconds(2);
    Clock clock = Clock.systemUTC();
    Duration peerWait = Duration.ofSeconds(10);
    Replication mode = Replication.SYNC;
    long maxSessions = dev.satchel.core.memory.MemorySessionStore.DEFAULT_MAX_SESSIONS;

    ClusterStoreBuilder(String clusterName) {
        if (clusterName == null || clusterName.isBlank()) {
            throw new IllegalArgumentException("cluster name must not be blank");
        }
        this.clusterName = clusterName;
    }

    /**
     * The JGroups stack: a class-path resource or a file. Default {@code dev/satchel/cluster/tcp.xml}
     * (TCP, static members from {@code satchel.cluster.peers}); {@code
     * dev/satchel/cluster/loopback.xml} runs several nodes in one JVM.
     */
    public B config(String resourceOrFile) {
        this.config = Objects.requireNonNull(resourceOrFile, "resourceOrFile");
        return self();
    }

    /** This node's name in the cluster's views and logs (and, for primary-backup, its ranking). */
    public B nodeName(String name) {
        this.nodeName = Optional.of(Objects.requireNonNull(name, "name"));
        return self();
    }

    /** How long a save, or a read from another node, waits for the others (default 2 s). */
    public B timeout(Duration timeout) {
        if (timeout == null || timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("timeout must be positive: " + timeout);
        }
        this.timeout = timeout;
        return self();
    }

    /**
     * How long a node that finds no peer at start waits for one before it serves alone, when the
     * stack lists peers (default 10 s). A node that heard no answer within the join timeout would
     * otherwise form a cluster of its own and answer "no session" until the merge.
     */
    public B peerWait(Duration wait) {
        if (wait == null || wait.isNegative()) {
            throw new IllegalArgumentException("peer wait must not be negative: " + wait);
        }
        this.peerWait = wait;
        return self();
    }

    /** {@link Replication#SYNC} (default) or {@link Replication#ASYNC}. */
    public B mode(Replication mode) {
        this.mode = Objects.requireNonNull(mode, "mode");
        return self();
    }

    /**
     * The most sessions this node creates copies of (default 1,000,000). A node at its cap
     * refuses a new session, and a save that would create one there fails (503) rather than being
     * acknowledged with a copy missing. Copies moved to it whole (joins, view changes) are not
     * refused, since refusing them would lose sessions.
     */
    public B maxSessions(long maxSessions) {
        if (maxSessions < 1) {
            throw new IllegalArgumentException("maxSessions must be at least 1: " + maxSessions);
        }
        this.maxSessions = maxSessions;
        return self();
    }

    /** The clock that decides expiry; tests pass a fake one. */
    public B clock(Clock clock) {
        this.clock = Objects.requireNonNull(clock, "clock");
        return self();
    }

    /**
     * Joins the cluster.
     *
     * @throws SessionStoreUnavailableException if the node cannot join
     */
    public S build() {
        try {
            return create();
        } catch (SessionStoreUnavailableException | IllegalArgumentException e) {
            throw e;
        } catch (Exception e) {
            throw new SessionStoreUnavailableException(
                    "cannot join session cluster " + clusterName + ": " + e.getMessage(), e);
        }
    }

    abstract S create() throws Exception;

    @SuppressWarnings("unchecked")
    private B self() {
        return (B) this;
    }
}
