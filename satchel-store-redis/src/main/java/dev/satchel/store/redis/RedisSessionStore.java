package dev.satchel.store.redis;

import static dev.satchel.store.redis.RedisCalls.call;

import dev.satchel.core.ChangeSet;
import dev.satchel.core.ConditionalSaveStore;
import dev.satchel.core.ObservableSessionStore;
import dev.satchel.core.PrincipalIndexedStore;
import dev.satchel.core.ReportingStore;
import dev.satchel.core.SessionEvent;
import dev.satchel.core.SessionId;
import dev.satchel.core.SessionListener;
import dev.satchel.core.SessionListeners;
import dev.satchel.core.SessionRecord;
import dev.satchel.core.SessionStoreUnavailableException;
import dev.satchel.core.support.Durations;
import io.lettuce.core.AbstractRedisClient;
import io.lettuce.core.RedisClient;
import io.lettuce.core.cluster.RedisClusterClient;
import io.lettuce.core.cluster.api.sync.RedisClusterCommands;
import io.lettuce.core.resource.ClientResources;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * Sessions in Redis: the {@code redis} strategy. Every node shares them, and they survive the loss
 * of any app node.
 *
 * <p><b>Layout</b> ({@link HashLayout}). One hash per session, {@code <prefix>s:{<id>}}, one field
 * per attribute; the {@code {id}} hash tag keeps every key of a session in one slot, so the layout
 * works on Redis Cluster. The key's TTL is the session's own expiry, so Redis reclaims space without
 * any scan. The principal index ({@link PrincipalIndex}) is a set per user: an id joins it on login
 * and leaves it on logout, delete, a change of owner or of id, and the set lives until the absolute
 * deadline of its longest-lived session.
 *
 * <p><b>Round trips.</b> A load is one {@code HGETALL}. A save is one {@code EVALSHA} of a script
 * that applies the change set, refuses to bring back a session that is gone, moves the TTL, keeps
 * the index, and bumps the version, atomically. An id change (login) is that same script, which
 * {@code RENAME}s the hash first, so no interleaving can leave two live ids. On Redis Cluster an id
 * change is two scripts ({@link SessionWrites}).
 *
 * <p><b>Topologies</b>, by URI ({@link Topology}): {@code redis://host:port} (standalone), {@code
 * redis-sentinel://host:port,host:port#master} (follows Sentinel to the current master after a
 * failover), and {@code redis-cluster://host:port,host:port} (Redis Cluster; follows failovers and
 * resharding). With {@link Builder#waitForReplicas}, a save is acknowledged only once replicas have
 * it ({@code WAIT}).
 *
 * <p><b>Near-cache</b>, optional ({@link Builder#nearCache}): sessions this node read stay decoded
 * in memory, dropped when Redis reports another client changed them (CLIENT TRACKING), and checked
 * by version before use, so a read costs a few bytes and is never stale. {@link
 * Builder#relaxedNearCache} skips the check (zero round trips) and accepts the window in which a
 * change made on another node has not yet been reported.
 *
 * <p><b>Expiry</b> is enforced on every read, by the store's clock. EXPIRED events come from those
 * reads and, if Redis publishes expiry events, from Redis's own TTLs ({@link ExpiryFeed}). There is
 * no {@code expireDue()}: Redis reclaims expired sessions itself.
 *
 * <p><b>Counters</b> ({@link #counters()}): {@code near_cache_hits} and {@code near_cache_misses}
 * (loads served from, or not found in, the near-cache since start) and {@code near_cache_entries}
 * (sessions it holds now); all zero without a near-cache.
 *
 * <p><b>When Redis does not answer</b>, every call fails within the timeout with {@link
 * SessionStoreUnavailableException}; the servlet filter turns that into 503. Thread-safe: one
 * multiplexed connection serves every thread.
 */
public final class RedisSessionStore
        implements PrincipalIndexedStore, ObservableSessionStore, ReportingStore, ConditionalSaveStore {

    /** How long one command may take before the call fails, unless {@link Builder#timeout} says. */
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(2);

    /**
     * The environment variable {@code satchel node} and the Spring Boot starter read the Sentinels'
     * own password from ({@link Builder#sentinelPassword}), which a Sentinel URI has no room for.
     */
    public static final String SENTINEL_PASSWORD_VARIABLE = "SATCHEL_REDIS_SENTINEL_PASSWORD";

    /** What every key starts with, unless {@link Builder#keyPrefix} says. */
    public static final String DEFAULT_KEY_PREFIX = "satchel:";

    /** Replicas a save waits for: none, unless {@link Builder#waitForReplicas} says. */
    public static final int DEFAULT_WAIT_FOR_REPLICAS = 0;

    /** How long a save waits for its replicas, unless {@link Builder#waitForReplicasTimeout} says. */
    public static final Duration DEFAULT_WAIT_FOR_REPLICAS_TIMEOUT = Duration.ofMillis(100);

    /** Sessions the near-cache holds: none (no near-cache), unless {@link Builder#nearCache} says. */
    public static final int DEFAULT_NEAR_CACHE_ENTRIES = 0;

    /** Whether the store turns on the server's expiry events, unless {@link Builder#enableKeyspaceEvents} says. */
    public static final boolean DEFAULT_ENABLE_KEYSPACE_EVENTS = false;

    private final RedisConnections connections;
    private final RedisClusterCommands<String, byte[]> redis;
    private final Clock clock;
    private final HashLayout layout;
    private final PrincipalIndex index;
    private final SessionWrites writes;
    private final SessionListeners listeners = new SessionListeners();
    private final Optional<NearCache> nearCache;
    private final Optional<NearCacheTracking> tracking;
    private final boolean validateHits;
    private final ExpiryFeed expiryFeed;

    private RedisSessionStore(Builder b, Topology topology) {
        this.clock = b.clock;
        this.layout = new HashLayout(b.prefix);
        this.validateHits = b.validateNearCacheHits;
        this.nearCache = b.nearCacheEntries > 0 ? Optional.of(new NearCache(b.nearCacheEntries)) : Optional.empty();
        this.connections = b.applicationClient.isPresent()
                ? RedisConnections.onClient(b.applicationClient.get(), b.timeout)
                : RedisConnections.open(topology, b.timeout, Optional.ofNullable(b.sharedResources));
        this.redis = connections.commands();
        try {
            this.tracking = nearCache.map(cache -> NearCacheTracking.start(connections, cache, validateHits));
            this.index = new PrincipalIndex(connections, layout, clock);
            this.writes = new SessionWrites(connections, layout, index, clock, b.waitReplicas, b.waitTimeout);
            this.expiryFeed = ExpiryFeed.subscribe(
                    connections,
                    layout,
                    b.enableKeyspaceEvents,
                    id -> publish(SessionEvent.Type.EXPIRED, id, Optional.empty()));
        } catch (RuntimeException e) {
            connections.close();
            throw e;
        }
    }

    /**
     * Starts a configuration on an application's own client, made with a URI (standalone or
     * Sentinel): the store opens its connection through it, with its TLS settings, credentials
     * and threads, and bounds its own commands by {@link Builder#timeout}. Closing the store closes
     * only that connection; the client is the application's.
     */
    public static Builder builder(RedisClient client) {
        return new Builder(client);
    }

    /** As {@link #builder(RedisClient)}, on an application's Redis Cluster client. */
    public static Builder builder(RedisClusterClient client) {
        return new Builder(client);
    }

    /** Starts a configuration for the server at {@code uri}, such as {@code redis://127.0.0.1:6379}. */
    public static Builder builder(String uri) {
        return new Builder(uri);
    }

    @Override
    public Optional<SessionRecord> load(SessionId id) {
        String key = layout.key(id);
        SessionRecord record;
        Optional<SessionRecord> cached = nearCache.flatMap(cache -> cache.get(key));
        if (cached.isPresent() && (!validateHits || isCurrent(key, cached.get()))) {
            record = cached.get();
        } else {
            long epoch = nearCache.map(NearCache::epoch).orElse(0L);
            long ticket = nearCache.map(cache -> cache.beforeRead(key)).orElse(0L);
            try {
                Map<String, byte[]> hash = call(() -> redis.hgetall(key));
                if (hash.isEmpty()) {
                    return Optional.empty();
                }
                SessionRecord read = layout.decode(id, hash);
                nearCache.ifPresent(cache -> cache.afterRead(key, ticket, epoch, read));
                record = read;
            } finally {
                // An absent session or a failed read caches nothing, but must give its ticket back.
                nearCache.ifPresent(cache -> cache.release(key, ticket));
            }
        }
        if (record.isExpired(clock.instant())) {
            // Redis's TTL follows its own clock; expiry is enforced here on read, whatever that says.
            nearCache.ifPresent(cache -> cache.invalidate(key));
            if (writes.remove(id)) {
                publish(SessionEvent.Type.EXPIRED, id, Optional.of(record));
            }
            return Optional.empty();
        }
        return Optional.of(record);
    }

    /**
     * Whether a cached session is still the one in Redis: one {@code HGET} of its version, a few
     * bytes instead of the whole hash. Every save bumps the version, so an unchanged version means
     * an unchanged session.
     */
    private boolean isCurrent(String key, SessionRecord cached) {
        byte[] version = call(() -> redis.hget(key, HashLayout.VERSION));
        return HashLayout.version(version).filter(v -> v == cached.version()).isPresent();
    }

    @Override
    public SaveOutcome save(ChangeSet changes) {
        Objects.requireNonNull(changes, "changes");
        if (nearCache.isEmpty()) {
            return write(changes).outcome();
        }
        NearCache cache = nearCache.get();
        String key = layout.key(changes.id());
        // With validated hits, the entry this node holds is brought forward by its own write, so
        // the next request on this node checks a version instead of reading the whole hash. Exact
        // only if no other write came between: the script must answer the cached version plus one.
        Optional<SessionRecord> before = validateHits
                        && !changes.created()
                        && !changes.invalidated()
                        && changes.previousId().isEmpty()
                ? cache.peek(key)
                : Optional.empty();
        // Before and after: a read of this node's that raced the write must not be cached either.
        forget(changes);
        long epoch = cache.epoch();
        long ticket = cache.beforeRead(key);
        boolean warmed = false;
        try {
            SessionWrites.Written written = write(changes);
            if (written.outcome() == SaveOutcome.UPDATED
                    && before.isPresent()
                    && written.version() == before.get().version() + 1) {
                cache.afterRead(key, ticket, epoch, before.get().apply(changes));
                warmed = true;
            }
            return written.outcome();
        } finally {
            if (!warmed) {
                forget(changes);
            }
        }
    }

    private void forget(ChangeSet changes) {
        nearCache.ifPresent(cache -> {
            cache.invalidate(layout.key(changes.id()));
            changes.previousId().ifPresent(previous -> cache.invalidate(layout.key(previous)));
        });
    }

    private SessionWrites.Written write(ChangeSet changes) {
        if (changes.invalidated()) {
            boolean deleted = changes.previousId().map(this::delete).orElse(false);
            deleted |= delete(changes.id());
            return new SessionWrites.Written(deleted ? SaveOutcome.INVALIDATED : SaveOutcome.GONE, -1);
        }
        SessionWrites.Written written = writes.save(changes);
        if (written.outcome() == SaveOutcome.CREATED) {
            publish(SessionEvent.Type.CREATED, changes.id(), Optional.empty());
        }
        return written;
    }

    @Override
    public boolean delete(SessionId id) {
        nearCache.ifPresent(cache -> cache.invalidate(layout.key(id)));
        boolean deleted = writes.remove(id);
        nearCache.ifPresent(cache -> cache.invalidate(layout.key(id)));
        if (deleted) {
            publish(SessionEvent.Type.DELETED, id, Optional.empty());
        }
        return deleted;
    }

    @Override
    public List<SessionRecord> findByPrincipal(String principal) {
        return index.find(principal, this::load);
    }

    @Override
    public AutoCloseable subscribe(SessionListener listener) {
        return listeners.add(listener);
    }

    private void publish(SessionEvent.Type type, SessionId id, Optional<SessionRecord> last) {
        if (!listeners.isEmpty()) {
            listeners.publish(new SessionEvent(type, id, last));
        }
    }

    /** The counters named in the class description, in that order. */
    @Override
    public Map<String, Long> counters() {
        Map<String, Long> counters = new LinkedHashMap<>();
        counters.put("near_cache_hits", nearCache.map(NearCache::hits).orElse(0L));
        counters.put("near_cache_misses", nearCache.map(NearCache::misses).orElse(0L));
        counters.put("near_cache_entries", nearCache.map(c -> (long) c.size()).orElse(0L));
        return Collections.unmodifiableMap(counters);
    }

    @Override
    public void close() {
        expiryFeed.close();
        tracking.ifPresent(NearCacheTracking::close);
        connections.close();
    }

    /** Read tickets the near-cache holds for reads in flight; for tests. */
    int nearCacheTickets() {
        return nearCache.map(NearCache::tickets).orElse(0);
    }

    /** The Lettuce resources the store runs on, for tests of sharing them. */
    ClientResources resources() {
        return connections.client().getResources();
    }

    /** The key of a session's hash; for tests that look at Redis directly. */
    String keyOf(SessionId id) {
        return layout.key(id);
    }

    /** Configures a {@link RedisSessionStore}. Not thread-safe. */
    public static final class Builder {
        private Topology topology;
        private Clock clock = Clock.systemUTC();
        private String prefix = DEFAULT_KEY_PREFIX;
        private Duration timeout = DEFAULT_TIMEOUT;
        private boolean enableKeyspaceEvents = DEFAULT_ENABLE_KEYSPACE_EVENTS;
        private int waitReplicas = DEFAULT_WAIT_FOR_REPLICAS;
        private Duration waitTimeout = DEFAULT_WAIT_FOR_REPLICAS_TIMEOUT;
        private int nearCacheEntries = DEFAULT_NEAR_CACHE_ENTRIES;
        private boolean validateNearCacheHits = true;
        private ClientResources sharedResources;
        private Optional<AbstractRedisClient> applicationClient = Optional.empty();

        private Builder(String uri) {
            this.topology = Topology.of(uri);
        }

        private Builder(AbstractRedisClient client) {
            this.applicationClient = Optional.of(Objects.requireNonNull(client, "client"));
            this.topology = Topology.ofClient(client instanceof RedisClusterClient);
        }

        /**
         * For {@code rediss://}: trusts the CA certificates in this PEM file instead of the JDK's, as
         * a server with a private CA needs. The URI may say the same with {@code ?ca=FILE}.
         */
        public Builder trustedCertificates(Path caPem) {
            this.topology = topology.withTls(topology.tls().withTrusted(Objects.requireNonNull(caPem, "caPem")));
            return this;
        }

        /**
         * For {@code rediss://} to a server that asks clients for a certificate ({@code
         * tls-auth-clients yes}): presents this PEM chain and its unencrypted PKCS#8 key. The URI may
         * say the same with {@code ?cert=FILE&key=FILE}.
         */
        public Builder clientCertificate(Path certificatePem, Path keyPem) {
            this.topology = topology.withTls(topology.tls()
                    .withClient(
                            Objects.requireNonNull(certificatePem, "certificatePem"),
                            Objects.requireNonNull(keyPem, "keyPem")));
            return this;
        }

        /**
         * For {@code redis-sentinel://}: the password the sentinels themselves ask for ({@code
         * requirepass} in their configuration). The URI's own password is the servers'; Redis lets
         * the two differ, and a URI has room for one.
         */
        public Builder sentinelPassword(String password) {
            Objects.requireNonNull(password, "password");
            this.topology = topology.withSentinelPassword(password);
            return this;
        }

        /**
         * Runs on the event loops and timers of an application's own Lettuce {@code resources}
         * instead of starting its own threads (Spring Boot has one as a bean when it talks to
         * Redis). The store keeps its own connections and its short reconnect delay, and closing
         * it leaves {@code resources} running: they are the application's to shut down.
         */
        public Builder clientResources(ClientResources resources) {
            this.sharedResources = Objects.requireNonNull(resources, "resources");
            return this;
        }

        /**
         * Makes every save wait until {@code replicas} replicas acknowledged it ({@code WAIT}), at
         * most {@link #waitForReplicasTimeout}; a save that falls short fails with 503 although the
         * master has it. Costs a second round trip per save and holds the shared connection while
         * replicas answer, in exchange for not losing acknowledged writes when the master dies.
         * Default {@link #DEFAULT_WAIT_FOR_REPLICAS} (off).
         */
        public Builder waitForReplicas(int replicas) {
            if (replicas < 0) {
                throw new IllegalArgumentException("replicas to wait for must not be negative: " + replicas);
            }
            this.waitReplicas = replicas;
            return this;
        }

        /**
         * How long a save waits for its replicas ({@link #waitForReplicas}); shorter than {@link
         * #timeout}. Default {@link #DEFAULT_WAIT_FOR_REPLICAS_TIMEOUT}.
         */
        public Builder waitForReplicasTimeout(Duration timeout) {
            this.waitTimeout = Durations.requirePositive(timeout, "WAIT timeout");
            return this;
        }

        /**
         * Keeps up to {@code maxEntries} sessions this node read, decoded, and serves them after
         * checking their version with one {@code HGET} (a few bytes instead of the whole hash):
         * never stale. Redis drops entries another client changed (CLIENT TRACKING over RESP3), so
         * they do not linger. Standalone and Sentinel only. Default {@link
         * #DEFAULT_NEAR_CACHE_ENTRIES} (off).
         */
        public Builder nearCache(int maxEntries) {
            return nearCache(maxEntries, true);
        }

        /**
         * Like {@link #nearCache}, but serves cached sessions with no round trip at all, trusting
         * Redis's invalidation messages. A read on this node that follows a write on another node
         * by less than the time that message takes to arrive (microseconds on a LAN, unbounded if
         * this node stalls) can see the session as it was before the write. For applications
         * whose balancer keeps each session on one node, where that hardly ever happens.
         */
        public Builder relaxedNearCache(int maxEntries) {
            return nearCache(maxEntries, false);
        }

        private Builder nearCache(int maxEntries, boolean validate) {
            if (maxEntries < 0) {
                throw new IllegalArgumentException("near-cache size must not be negative: " + maxEntries);
            }
            this.nearCacheEntries = maxEntries;
            this.validateNearCacheHits = validate;
            return this;
        }

        /** The clock that decides expiry; tests pass a fake one. */
        public Builder clock(Clock clock) {
            this.clock = Objects.requireNonNull(clock, "clock");
            return this;
        }

        /**
         * Prefix of every key, to share a database with other data. Default {@link
         * #DEFAULT_KEY_PREFIX}.
         */
        public Builder keyPrefix(String prefix) {
            this.prefix = HashLayout.requireValidPrefix(prefix);
            return this;
        }

        /**
         * How long one command, and connecting, may take before the call fails with {@link
         * SessionStoreUnavailableException} (503). Default {@link #DEFAULT_TIMEOUT}.
         */
        public Builder timeout(Duration timeout) {
            this.timeout = Durations.requirePositive(timeout, "timeout");
            return this;
        }

        /**
         * Turns on the server's expiry notifications ({@code CONFIG SET notify-keyspace-events Ex})
         * so EXPIRED events also fire for sessions nobody reads again. Off by default ({@link
         * #DEFAULT_ENABLE_KEYSPACE_EVENTS}): changing a shared server's configuration is the
         * operator's call, and many managed services forbid CONFIG. Without it, events still come
         * if the server already publishes them.
         */
        public Builder enableKeyspaceEvents(boolean enable) {
            this.enableKeyspaceEvents = enable;
            return this;
        }

        /**
         * Connects and loads the scripts.
         *
         * @throws SessionStoreUnavailableException if Redis cannot be reached
         * @throws IllegalArgumentException if the options contradict each other
         */
        public RedisSessionStore build() {
            if (applicationClient.isPresent() && (sharedResources != null || topology.tls() != RedisTls.NONE)) {
                throw new IllegalArgumentException("TLS files and client resources apply to a client the store"
                        + " makes; set them on the application's own client instead");
            }
            topology.tls().check(topology.usesTls());
            if (waitReplicas > 0 && waitTimeout.compareTo(timeout) >= 0) {
                throw new IllegalArgumentException(
                        "the WAIT timeout (" + waitTimeout + ") must be shorter than the timeout (" + timeout + ")");
            }
            if (nearCacheEntries > 0 && topology.isCluster()) {
                throw new IllegalArgumentException(
                        "the near-cache needs one tracked connection: standalone or Sentinel only");
            }
            return new RedisSessionStore(this, topology);
        }
    }
}
