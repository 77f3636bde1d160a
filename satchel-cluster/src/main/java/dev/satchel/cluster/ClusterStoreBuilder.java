package dev.satchel.cluster;

import dev.satchel.core.SessionStoreUnavailableException;
import dev.satchel.core.memory.MemorySessionStore;
import dev.satchel.core.support.Durations;
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
    /** The JGroups stack both strategies use unless told otherwise: TCP, peers listed statically. */
    public static final String DEFAULT_CONFIG = "dev/satchel/cluster/tcp.xml";
    /** How long a save, or a read from another node, waits for the others unless told otherwise. */
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(2);
    /** How long a node that finds no peer at start waits for one unless told otherwise. */
    public static final Duration DEFAULT_PEER_WAIT = Duration.ofSeconds(10);
    /** Whether a save waits for the other copies unless told otherwise: it does. */
    public static final Replication DEFAULT_MODE = Replication.SYNC;
    /** The most sessions a node creates copies of unless told otherwise: the memory store's. */
    public static final long DEFAULT_MAX_SESSIONS = MemorySessionStore.DEFAULT_MAX_SESSIONS;

    final String clusterName;
    String config = DEFAULT_CONFIG;
    Optional<String> nodeName = Optional.empty();
    Duration timeout = DEFAULT_TIMEOUT;
    Clock clock = Clock.systemUTC();
    Duration peerWait = DEFAULT_PEER_WAIT;
    Replication mode = DEFAULT_MODE;
    long maxSessions = DEFAULT_MAX_SESSIONS;
    Optional<ClusterTls> tls = Optional.empty();
    boolean plaintext;

    ClusterStoreBuilder(String clusterName) {
        if (clusterName == null || clusterName.isBlank()) {
            throw new IllegalArgumentException("cluster name must not be blank");
        }
        this.clusterName = clusterName;
    }

    /**
     * The JGroups stack: a class-path resource or a file. Default {@link #DEFAULT_CONFIG} (TCP,
     * static members from {@code satchel.cluster.peers}); {@code
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

    /** How long one call to the store waits for its peers: a save, or a read from another node (default {@link #DEFAULT_TIMEOUT}). */
    public B timeout(Duration timeout) {
        this.timeout = Durations.requirePositive(timeout, "timeout");
        return self();
    }

    /**
     * How long a node that finds no peer at start waits for one before it serves alone, when the
     * stack lists peers (default {@link #DEFAULT_PEER_WAIT}). A node that heard no answer within
     * the join timeout would otherwise form a cluster of its own and answer "no session" until the
     * merge.
     */
    public B peerWait(Duration wait) {
        this.peerWait = Durations.requireNonNegative(wait, "peer wait");
        return self();
    }

    /** {@link Replication#SYNC} or {@link Replication#ASYNC} (default {@link #DEFAULT_MODE}). */
    public B mode(Replication mode) {
        this.mode = Objects.requireNonNull(mode, "mode");
        return self();
    }

    /**
     * The most sessions this node creates copies of (default {@link #DEFAULT_MAX_SESSIONS}). A node at its cap
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

    /**
     * Encrypts and authenticates all traffic between the nodes with TLS (see {@link ClusterTls});
     * needs JGroups' {@code TCP} transport, which the default stack uses. A stack that reaches
     * other processes needs this or {@link #plaintext()}: {@link #build()} refuses to choose.
     */
    public B tls(ClusterTls tls) {
        this.tls = Optional.of(Objects.requireNonNull(tls, "tls"));
        this.plaintext = false;
        return self();
    }

    /**
     * Sends the traffic between the nodes unencrypted and accepts any process that reaches the
     * cluster port as a node: for a network nobody else can reach, or a benchmark measuring what
     * TLS costs. Session data, logins included, then cross the network readable.
     */
    public B plaintext() {
        this.plaintext = true;
        this.tls = Optional.empty();
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
