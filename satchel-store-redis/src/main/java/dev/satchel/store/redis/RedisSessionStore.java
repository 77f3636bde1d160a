package dev.satchel.store.redis;

import dev.satchel.core.ChangeSet;
import dev.satchel.core.ObservableSessionStore;
import dev.satchel.core.PrincipalChange;
import dev.satchel.core.PrincipalIndexedStore;
import dev.satchel.core.SessionDataException;
import dev.satchel.core.SessionEvent;
import dev.satchel.core.SessionException;
import dev.satchel.core.SessionId;
import dev.satchel.core.SessionListener;
import dev.satchel.core.SessionListeners;
import dev.satchel.core.SessionRecord;
import dev.satchel.core.SessionStoreUnavailableException;
import io.lettuce.core.AbstractRedisClient;
import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisChannelHandler;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisCommandExecutionException;
import io.lettuce.core.RedisConnectionStateListener;
import io.lettuce.core.RedisException;
import io.lettuce.core.RedisNoScriptException;
import io.lettuce.core.RedisURI;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.SocketOptions;
import io.lettuce.core.TimeoutOptions;
import io.lettuce.core.TrackingArgs;
import io.lettuce.core.api.StatefulConnection;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.push.PushMessage;
import io.lettuce.core.cluster.ClusterClientOptions;
import io.lettuce.core.cluster.ClusterTopologyRefreshOptions;
import io.lettuce.core.cluster.RedisClusterClient;
import io.lettuce.core.cluster.SlotHash;
import io.lettuce.core.cluster.api.StatefulRedisClusterConnection;
import io.lettuce.core.cluster.api.sync.RedisClusterCommands;
import io.lettuce.core.cluster.models.partitions.RedisClusterNode;
import io.lettuce.core.cluster.pubsub.StatefulRedisClusterPubSubConnection;
import io.lettuce.core.codec.ByteArrayCodec;
import io.lettuce.core.codec.RedisCodec;
import io.lettuce.core.codec.StringCodec;
import io.lettuce.core.pubsub.RedisPubSubAdapter;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import io.lettuce.core.resource.ClientResources;
import io.lettuce.core.resource.DefaultClientResources;
import io.lettuce.core.resource.Delay;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.SocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sessions in Redis: the {@code redis} strategy. Every node shares them, and they survive the loss
 * of any app node.
 *
 * <p><b>Layout.</b> One hash per session, {@code <prefix>s:{<id>}}: metadata fields ({@code _c}
 * created, {@code _a} last access, {@code _i} idle timeout, {@code _d} absolute deadline, {@code _p}
 * principal, {@code _v} version, all in milliseconds) and one field {@code a:<name>} per attribute.
 * The {@code {id}} hash tag keeps every key of a session in one slot, so the layout works on Redis
 * Cluster. The key's TTL is the session's own expiry, so Redis reclaims space without any scan. The
 * principal index is a set per user, {@code <prefix>p:{<principal>}}: an id joins it on login and
 * leaves it on logout, delete, a change of owner or of id, and the set lives until the absolute
 * deadline of its longest-lived session. Ids of sessions that merely timed out are cleaned when read.
 *
 * <p><b>Round trips.</b> A load is one {@code HGETALL}. A save is one {@code EVALSHA} of a script
 * that applies the change set, refuses to bring back a session that is gone, moves the TTL, keeps
 * the index, and bumps the version, atomically. An id change (login) is that same script, which
 * {@code RENAME}s the hash first, so no interleaving can leave two live ids.
 *
 * <p><b>Redis Cluster</b> puts the old and the new id, and the index, in different slots, which no
 * script can span. There an id change is two scripts: one takes the session out of its old key
 * (reads and deletes it at once), the next writes it under the new key. Still never two live ids, and
 * a save under the old id is carried along or GONE; but between the two steps the session is under
 * neither id, and if the node or Redis fails there, the session is lost (the user signs in again).
 * The index is kept by separate commands after each save, new owner first.
 *
 * <p><b>Topologies</b>, by URI: {@code redis://host:port} (standalone), {@code
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
 * <p><b>When Redis does not answer</b>, every call fails within the command timeout with {@link
 * SessionStoreUnavailableException}; the servlet filter turns that into 503. Thread-safe: one
 * multiplexed connection serves every thread.
 *
 * <p>One file, over 500 lines, for now: topologies, scripts, the near-cache wiring and the principal
 * index still live together; issue 18 splits them.
 */
public final class RedisSessionStore implements PrincipalIndexedStore, ObservableSessionStore {

    /** Default time a command may take before the request fails. */
    public static final Duration DEFAULT_COMMAND_TIMEOUT = Duration.ofSeconds(2);

    private static final RedisCodec<String, byte[]> CODEC = RedisCodec.of(StringCodec.UTF8, ByteArrayCodec.INSTANCE);
    private static final String ATTRIBUTE = "a:";
    private static final String CLUSTER_SCHEME = "redis-cluster://";
    private static final Logger LOG = LoggerFactory.getLogger(RedisSessionStore.class);

    private final ClientResources resources;
    private final AbstractRedisClient client;
    private final StatefulConnection<String, byte[]> connection;
    private final RedisClusterCommands<String, byte[]> redis;
    private final Optional<StatefulRedisClusterConnection<String, byte[]>> cluster;
    private final Clock clock;
    private final String prefix;
    /** The index prefix the scripts get: empty on Redis Cluster, where the index is in another slot. */
    private final byte[] scriptIndex;

    private final int waitReplicas;
    private final Duration waitTimeout;
    private final Script saveScript;
    private final Script takeScript;
    private final Script deleteScript;
    private final Script indexScript;
    private final SessionListeners listeners = new SessionListeners();
    private final Optional<NearCache> nearCache;
    /** The version the save script answered on this thread, for the near-cache. */
    private final ThreadLocal<Long> lastVersion = ThreadLocal.withInitial(() -> -1L);

    private final boolean validateHits;
    private final Optional<StatefulRedisPubSubConnection<String, String>> expiryFeed;

    private RedisSessionStore(Builder b) {
        this.clock = b.clock;
        this.prefix = b.prefix;
        this.waitReplicas = b.waitReplicas;
        this.waitTimeout = b.waitTimeout;
        this.nearCache = b.nearCacheEntries > 0 ? Optional.of(new NearCache(b.nearCacheEntries)) : Optional.empty();
        this.validateHits = b.validateNearCacheHits;
        boolean isCluster = b.uri.startsWith(CLUSTER_SCHEME);
        // Lettuce's default reconnect backoff grows to 30 s; a failover takes seconds, so retry
        // at most every 500 ms and come back soon after the new master is up.
        this.resources = DefaultClientResources.builder()
                .reconnectDelay(Delay.exponential(
                        Duration.ofMillis(5), Duration.ofMillis(500), 2, java.util.concurrent.TimeUnit.MILLISECONDS))
                .build();
        if (isCluster && nearCache.isPresent()) {
            throw new IllegalArgumentException(
                    "the near-cache needs one tracked connection: standalone or Sentinel only");
        }
        if (isCluster) {
            RedisClusterClient clusterClient =
                    RedisClusterClient.create(resources, clusterSeeds(b.uri, b.commandTimeout));
            clusterClient.setOptions(ClusterClientOptions.builder()
                    .autoReconnect(true)
                    .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
                    .timeoutOptions(TimeoutOptions.enabled(b.commandTimeout))
                    .socketOptions(SocketOptions.builder()
                            .connectTimeout(b.commandTimeout)
                            .build())
                    // Follow failovers and resharding: on MOVED, ASK and lost connections, and every 10 s.
                    .topologyRefreshOptions(ClusterTopologyRefreshOptions.builder()
                            .enableAllAdaptiveRefreshTriggers()
                            .enablePeriodicRefresh(Duration.ofSeconds(10))
                            .build())
                    .build());
            this.client = clusterClient;
            StatefulRedisClusterConnection<String, byte[]> c =
                    connectOrFail(clusterClient, resources, () -> clusterClient.connect(CODEC), b.uri);
            this.connection = c;
            this.redis = c.sync();
            this.cluster = Optional.of(c);
        } else {
            RedisURI uri = RedisURI.create(b.uri);
            uri.setTimeout(b.commandTimeout);
            RedisClient single = RedisClient.create(resources, uri);
            single.setOptions(ClientOptions.builder()
                    .autoReconnect(true)
                    .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
                    .timeoutOptions(TimeoutOptions.enabled(b.commandTimeout))
                    .socketOptions(SocketOptions.builder()
                            .connectTimeout(b.commandTimeout)
                            .build())
                    .build());
            this.client = single;
            StatefulRedisConnection<String, byte[]> c =
                    connectOrFail(single, resources, () -> single.connect(CODEC), b.uri);
            this.connection = c;
            this.redis = c.sync();
            this.cluster = Optional.empty();
            nearCache.ifPresent(cache -> keepTracking(single, c, cache, validateHits));
        }
        this.scriptIndex = (isCluster ? "" : prefix + "p:").getBytes(StandardCharsets.UTF_8);
        this.saveScript = loadScript("save.lua");
        this.takeScript = loadScript("take.lua");
        this.deleteScript = loadScript("delete.lua");
        this.indexScript = loadScript("index.lua");
        this.expiryFeed = subscribeToExpiry(b.enableKeyspaceEvents);
    }

    /** Starts a configuration for the server at {@code uri}, such as {@code redis://127.0.0.1:6379}. */
    public static Builder builder(String uri) {
        return new Builder(uri);
    }

    @Override
    public Optional<SessionRecord> load(SessionId id) {
        String key = key(id);
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
                SessionRecord read = decode(id, hash);
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
            if (remove(id)) {
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
        byte[] version = call(() -> redis.hget(key, "_v"));
        return version != null && Long.parseLong(new String(version, StandardCharsets.US_ASCII)) == cached.version();
    }

    @Override
    public SaveOutcome save(ChangeSet changes) {
        Objects.requireNonNull(changes, "changes");
        if (nearCache.isEmpty()) {
            return write(changes);
        }
        NearCache cache = nearCache.get();
        String key = key(changes.id());
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
            lastVersion.remove();
            SaveOutcome outcome = write(changes);
            long version = lastVersion.get();
            if (outcome == SaveOutcome.UPDATED
                    && before.isPresent()
                    && version == before.get().version() + 1) {
                cache.afterRead(key, ticket, epoch, before.get().apply(changes));
                warmed = true;
            }
            return outcome;
        } finally {
            if (!warmed) {
                forget(changes);
            }
        }
    }

    private void forget(ChangeSet changes) {
        nearCache.ifPresent(cache -> {
            cache.invalidate(key(changes.id()));
            changes.previousId().ifPresent(previous -> cache.invalidate(key(previous)));
        });
    }

    private SaveOutcome write(ChangeSet changes) {
        if (changes.invalidated()) {
            boolean deleted = changes.previousId().map(this::delete).orElse(false);
            deleted |= delete(changes.id());
            return deleted ? SaveOutcome.INVALIDATED : SaveOutcome.GONE;
        }
        if (changes.previousId().isPresent()) {
            return cluster.isPresent()
                    ? renameAcrossSlots(changes.previousId().get(), changes)
                    : rename(changes.previousId().get(), changes);
        }
        Saved saved = runSave(
                changes.created() ? "create" : "update",
                Optional.empty(),
                clock.instant(),
                changes,
                changes.setAttributes());
        lastVersion.set(saved.version());
        if (saved.version() == -1) {
            return SaveOutcome.GONE;
        }
        reindex(changes.id(), saved, changes.principal().flatMap(PrincipalChange::name));
        if (changes.created() && saved.version() == 1) {
            publish(SessionEvent.Type.CREATED, changes.id(), Optional.empty());
            return SaveOutcome.CREATED;
        }
        return SaveOutcome.UPDATED;
    }

    /**
     * An id change on one server: one script renames the hash and applies the change set, so the
     * old id dies in the step that gives birth to the new one. Of two concurrent logins from one
     * id, one wins and the other is GONE; a save or logout under the old id comes wholly before it
     * or finds the old id gone.
     */
    private SaveOutcome rename(SessionId previous, ChangeSet changes) {
        Saved saved = runSave("rename", Optional.of(previous), clock.instant(), changes, changes.setAttributes());
        return saved.version() < 0 ? SaveOutcome.GONE : SaveOutcome.UPDATED;
    }

    /**
     * An id change on Redis Cluster, where the old and the new key hash to different slots and no
     * script can reach both. First one script takes the session out of its old key (reads and
     * deletes it in one step): only one renamer can win, and a save to the old id comes wholly
     * before (and is carried along) or finds it gone. Then the session is written under the new id.
     * Never two live ids; but between the two steps the session is under neither id, and if this
     * node dies or Redis fails between them, it is lost and the user signs in again.
     */
    private SaveOutcome renameAcrossSlots(SessionId previous, ChangeSet changes) {
        String oldKey = key(previous);
        RedisClusterCommands<String, byte[]> writer = waitReplicas > 0 ? writerFor(oldKey) : redis;
        Instant now = clock.instant();
        List<Object> taken = call(
                previous,
                () -> run(
                        writer, takeScript, ScriptOutputType.MULTI, new String[] {oldKey}, new byte[][] {millis(now)}));
        if (taken.isEmpty()) {
            return SaveOutcome.GONE;
        }
        // Unless replicas have the removal, a failover could bring the old id back: write no new one.
        awaitReplicas(writer, "the removal of the old id");
        SessionRecord old = decode(previous, pairs(taken));
        SessionRecord renamed = old.apply(changes);
        ChangeSet copy = ChangeSet.builder(renamed.id(), renamed.createdAt(), renamed.absoluteDeadline())
                .created()
                .accessedAt(renamed.lastAccessedAt())
                .maxInactiveInterval(renamed.maxInactiveInterval())
                .principal(new PrincipalChange(renamed.principal()))
                .build();
        Saved saved;
        try {
            saved = runSave("create", Optional.empty(), now, copy, renamed.attributes());
        } catch (RuntimeException e) {
            LOG.warn(
                    "an id change took the session from its old id but could not write it under the new one;"
                            + " the session is lost",
                    e);
            throw e;
        }
        renamed.principal().ifPresent(p -> index(p, renamed.id(), saved.deadline()));
        old.principal().ifPresent(p -> unindex(p, previous, saved.deadline()));
        return SaveOutcome.UPDATED;
    }

    /** What the save script answered: the new version (-1: gone), and what the index needs. */
    private record Saved(long version, Optional<String> unindex, long deadline) {}

    /**
     * Runs the save script. {@code previous} is the old id of a rename on one server, whose key
     * the script reaches as its second key.
     */
    private Saved runSave(
            String mode, Optional<SessionId> previous, Instant now, ChangeSet c, Map<String, byte[]> attributes) {
        List<byte[]> args = new ArrayList<>(
                13 + 2 * attributes.size() + c.removedAttributes().size());
        args.add(ascii(mode));
        args.add(millis(now));
        args.add(millis(c.createdAt()));
        args.add(millis(c.absoluteDeadline()));
        args.add(ascii(
                c.maxInactiveInterval().map(d -> Long.toString(d.toMillis())).orElse("")));
        // A new session was last accessed when it was created unless the change set says when;
        // the script refuses a create without an access time rather than guess.
        Optional<Instant> accessed = c.created() ? Optional.of(c.accessedAt().orElse(c.createdAt())) : c.accessedAt();
        args.add(accessed.map(RedisSessionStore::millis).orElse(new byte[0]));
        args.add(c.principal()
                .map(p -> p.name()
                        .map(n -> ("=" + n).getBytes(StandardCharsets.UTF_8))
                        .orElse(ascii("-")))
                .orElse(new byte[0]));
        args.add(scriptIndex);
        args.add(ascii(c.id().value()));
        args.add(ascii(previous.map(SessionId::value).orElse("")));
        args.add(ascii(Integer.toString(attributes.size())));
        attributes.forEach((name, value) -> {
            args.add(name.getBytes(StandardCharsets.UTF_8));
            args.add(value);
        });
        args.add(ascii(Integer.toString(c.removedAttributes().size())));
        c.removedAttributes().forEach(name -> args.add(name.getBytes(StandardCharsets.UTF_8)));
        byte[][] values = args.toArray(new byte[0][]);
        String[] keys =
                previous.isPresent() ? new String[] {key(c.id()), key(previous.get())} : new String[] {key(c.id())};
        // With WAIT, the script and the WAIT go to the key's own master over one connection, since
        // WAIT counts the replicas that acknowledged that connection's writes.
        RedisClusterCommands<String, byte[]> writer = waitReplicas > 0 ? writerFor(keys[0]) : redis;
        List<Object> answer = call(c.id(), () -> run(writer, saveScript, ScriptOutputType.MULTI, keys, values));
        long version = (Long) answer.get(0);
        if (version >= 0) {
            awaitReplicas(writer, "the save");
        }
        return new Saved(
                version,
                Optional.ofNullable((byte[]) answer.get(1)).map(p -> new String(p, StandardCharsets.UTF_8)),
                (Long) answer.get(2));
    }

    /** Runs a script by its digest, sending its source only if the server lacks it. */
    private static <T> T run(
            RedisClusterCommands<String, byte[]> on,
            Script script,
            ScriptOutputType type,
            String[] keys,
            byte[][] args) {
        try {
            return on.evalsha(script.sha(), type, keys, args);
        } catch (RedisNoScriptException e) {
            return on.eval(script.source(), type, keys, args); // after SCRIPT FLUSH or failover
        }
    }

    private void awaitReplicas(RedisClusterCommands<String, byte[]> writer, String what) {
        if (waitReplicas == 0) {
            return;
        }
        long acknowledged = call(() -> writer.waitForReplication(waitReplicas, waitTimeout.toMillis()));
        if (acknowledged < waitReplicas) {
            throw new SessionStoreUnavailableException(
                    what + " reached " + acknowledged + " of " + waitReplicas + " replicas within " + waitTimeout
                            + "; it is on the master but could be lost in a failover",
                    null);
        }
    }

    /**
     * On Redis Cluster the scripts cannot reach the index (another slot), so it is kept here after
     * the save: the new owner is listed first, then the old one unlisted, so a live session is never
     * missing from its owner's set for longer than the save itself.
     */
    private void reindex(SessionId id, Saved saved, Optional<String> owner) {
        if (scriptIndex.length > 0) {
            return; // the script did it
        }
        owner.ifPresent(p -> index(p, id, saved.deadline()));
        saved.unindex().ifPresent(p -> unindex(p, id, saved.deadline()));
    }

    /** Lists a session under its owner, in a set that lives at least until the session's deadline. */
    private void index(String principal, SessionId id, long deadline) {
        long life = deadline - clock.millis();
        call(() -> run(redis, indexScript, ScriptOutputType.INTEGER, new String[] {indexKey(principal)}, new byte[][] {
            ascii(id.value()), ascii(Long.toString(life))
        }));
    }

    /** Unlists a session from its former owner's set (Redis Cluster only). */
    private void unindex(String principal, SessionId id, long deadline) {
        call(() -> redis.srem(indexKey(principal), ascii(id.value())));
        // A concurrent save may have given the session back to this owner between its script and
        // this SREM: list it again, so the index never misses a live session.
        byte[] owner = call(() -> redis.hget(key(id), "_p"));
        if (owner != null && principal.equals(new String(owner, StandardCharsets.UTF_8))) {
            index(principal, id, deadline);
        }
    }

    private RedisClusterCommands<String, byte[]> writerFor(String key) {
        if (cluster.isEmpty()) {
            return redis;
        }
        RedisClusterNode master = cluster.get().getPartitions().getMasterBySlot(SlotHash.getSlot(key));
        if (master == null) {
            throw new SessionStoreUnavailableException("no Redis Cluster master serves the slot of " + key, null);
        }
        return call(() -> cluster.get().getConnection(master.getNodeId()).sync());
    }

    @Override
    public boolean delete(SessionId id) {
        nearCache.ifPresent(cache -> cache.invalidate(key(id)));
        boolean deleted = remove(id);
        nearCache.ifPresent(cache -> cache.invalidate(key(id)));
        if (deleted) {
            publish(SessionEvent.Type.DELETED, id, Optional.empty());
        }
        return deleted;
    }

    /** Deletes a session's hash and unlists it from its owner's index; true if there was a hash. */
    private boolean remove(SessionId id) {
        List<Object> answer = call(
                id,
                () -> run(redis, deleteScript, ScriptOutputType.MULTI, new String[] {key(id)}, new byte[][] {
                    scriptIndex, ascii(id.value())
                }));
        if (answer.get(1) instanceof byte[] principal) {
            // Redis Cluster: the script left the index to us. The id is dead, so nothing can list it again.
            call(() -> redis.srem(indexKey(new String(principal, StandardCharsets.UTF_8)), ascii(id.value())));
        }
        return (Long) answer.get(0) == 1;
    }

    @Override
    public List<SessionRecord> findByPrincipal(String principal) {
        String indexKey = indexKey(principal);
        Set<byte[]> members = call(() -> redis.smembers(indexKey));
        List<SessionRecord> found = new ArrayList<>(members.size());
        for (byte[] member : members) {
            Optional<SessionId> id = SessionId.parse(new String(member, StandardCharsets.US_ASCII));
            Optional<SessionRecord> record = id.flatMap(this::load);
            if (record.isPresent()
                    && record.get().principal().filter(principal::equals).isPresent()) {
                found.add(record.get());
            } else {
                call(() -> redis.srem(indexKey, member)); // gone, expired or handed to someone else
            }
        }
        return found;
    }

    @Override
    public AutoCloseable subscribe(SessionListener listener) {
        return listeners.add(listener);
    }

    @Override
    public void close() {
        expiryFeed.ifPresent(StatefulRedisPubSubConnection::close);
        connection.close();
        client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
        resources.shutdown(0, 2, java.util.concurrent.TimeUnit.SECONDS);
    }

    /** Near-cache hits and misses since start, as {@code [hits, misses]}; zeros without a near-cache. */
    public long[] nearCacheCounts() {
        return nearCache.map(c -> new long[] {c.hits(), c.misses()}).orElse(new long[] {0, 0});
    }

    /** Read tickets the near-cache holds for reads in flight; for tests. */
    int nearCacheTickets() {
        return nearCache.map(NearCache::tickets).orElse(0);
    }

    /** The key of a session's hash; for tests that look at Redis directly. */
    String keyOf(SessionId id) {
        return key(id);
    }

    private static <C extends StatefulConnection<String, byte[]>> C connectOrFail(
            AbstractRedisClient client, ClientResources resources, Supplier<C> connect, String uri) {
        try {
            return connect.get();
        } catch (RedisException e) {
            client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
            resources.shutdown(0, 2, java.util.concurrent.TimeUnit.SECONDS);
            throw new SessionStoreUnavailableException(
                    "cannot connect to Redis at " + redacted(uri) + ": " + e.getMessage(), e);
        }
    }

    /** {@code redis-cluster://[user:password@]host:port,host:port} as one seed URI per host. */
    private static List<RedisURI> clusterSeeds(String uri, Duration timeout) {
        String rest = uri.substring(CLUSTER_SCHEME.length());
        String credentials = "";
        int at = rest.lastIndexOf('@');
        if (at >= 0) {
            credentials = rest.substring(0, at + 1);
            rest = rest.substring(at + 1);
        }
        int slash = rest.indexOf('/');
        if (slash >= 0) {
            rest = rest.substring(0, slash);
        }
        List<RedisURI> seeds = new ArrayList<>();
        for (String host : rest.split(",")) {
            if (host.isBlank()) {
                continue;
            }
            RedisURI seed = RedisURI.create("redis://" + credentials + host.strip());
            seed.setTimeout(timeout);
            seeds.add(seed);
        }
        if (seeds.isEmpty()) {
            throw new IllegalArgumentException("no host in " + redacted(uri));
        }
        return seeds;
    }

    /**
     * Turns tracking on for the store's connection now and after every reconnect, and empties the
     * near-cache whenever the connection drops: invalidations sent while it was down are lost.
     */
    private static void keepTracking(
            RedisClient client, StatefulRedisConnection<String, byte[]> c, NearCache cache, boolean noLoop) {
        c.addListener((PushMessage message) -> {
            if (!message.getType().equals("invalidate")) {
                return;
            }
            List<Object> content = message.getContent(StringCodec.UTF8::decodeKey);
            Object keys = content.size() > 1 ? content.get(1) : null;
            if (keys instanceof List<?> list) {
                list.forEach(k -> cache.invalidate(String.valueOf(k)));
            } else {
                cache.suspend(); // a null list: the server flushed, everything goes
                cache.resume();
            }
        });
        client.addListener(new RedisConnectionStateListener() {
            @Override
            public void onRedisConnected(RedisChannelHandler<?, ?> handler, SocketAddress address) {
                if (handler == c) {
                    // Not on the event loop: the command needs the loop to answer.
                    CompletableFuture.runAsync(() -> enableTracking(c, cache, noLoop));
                }
            }

            @Override
            public void onRedisDisconnected(RedisChannelHandler<?, ?> handler) {
                if (handler == c) {
                    cache.suspend();
                }
            }
        });
        enableTracking(c, cache, noLoop);
    }

    /**
     * With validated hits, this node's own writes need not come back as invalidations (NOLOOP): the
     * store updates its entries itself, and a version check guards every hit. Relaxed hits have no
     * such guard, so there every write, this node's too, must invalidate.
     */
    private static void enableTracking(StatefulRedisConnection<String, byte[]> c, NearCache cache, boolean noLoop) {
        try {
            TrackingArgs tracking = TrackingArgs.Builder.enabled();
            c.sync().clientTracking(noLoop ? tracking.noloop() : tracking);
            cache.resume();
        } catch (RedisException e) {
            cache.suspend();
            LOG.warn(
                    "cannot turn on Redis client tracking ({}); the near-cache is off until it reconnects",
                    e.getMessage());
        }
    }

    /**
     * Listens for keys Redis expired by TTL, when the server publishes them ({@code
     * notify-keyspace-events} containing {@code E} and {@code x}), so sessions nobody reads again
     * still get their EXPIRED event. Redis sends {@code expired} only for a TTL deletion, and a
     * read that finds a session expired deletes it with {@code DEL}, so each expiry is reported once.
     * Correctness never depends on this feed: expiry is enforced on every read.
     */
    private Optional<StatefulRedisPubSubConnection<String, String>> subscribeToExpiry(boolean enable) {
        try {
            if (enable && cluster.isPresent()) {
                // Replicas too: one of them may be the master after a failover.
                cluster.get().sync().all().commands().configSet("notify-keyspace-events", "Ex");
            } else if (enable) {
                redis.configSet("notify-keyspace-events", "Ex");
            }
            String flags = redis.configGet("notify-keyspace-events").getOrDefault("notify-keyspace-events", "");
            if (!flags.contains("E") || !(flags.contains("x") || flags.contains("A"))) {
                LOG.info(
                        "Redis publishes no expiry events (notify-keyspace-events='{}'); EXPIRED fires on read only",
                        flags);
                return Optional.empty();
            }
        } catch (RedisException e) {
            LOG.info("cannot read Redis's notify-keyspace-events ({}); EXPIRED fires on read only", e.getMessage());
            return Optional.empty();
        }
        StatefulRedisPubSubConnection<String, String> pubsub =
                client instanceof RedisClusterClient c ? c.connectPubSub() : ((RedisClient) client).connectPubSub();
        String sessionKeys = prefix + "s:{";
        pubsub.addListener(new RedisPubSubAdapter<>() {
            @Override
            public void message(String pattern, String channel, String key) {
                if (key.startsWith(sessionKeys) && key.endsWith("}")) {
                    SessionId.parse(key.substring(sessionKeys.length(), key.length() - 1))
                            .ifPresent(id -> publish(SessionEvent.Type.EXPIRED, id, Optional.empty()));
                }
            }
        });
        if (pubsub instanceof StatefulRedisClusterPubSubConnection<String, String> clusterPubSub) {
            // Each master publishes the expiries of its own slots.
            clusterPubSub.setNodeMessagePropagation(true);
            clusterPubSub.sync().upstream().commands().psubscribe("__keyevent@*__:expired");
        } else {
            pubsub.sync().psubscribe("__keyevent@*__:expired");
        }
        return Optional.of(pubsub);
    }

    private SessionRecord decode(SessionId id, Map<String, byte[]> hash) {
        try {
            Map<String, byte[]> attributes = new HashMap<>();
            hash.forEach((field, value) -> {
                if (field.startsWith(ATTRIBUTE)) {
                    attributes.put(field.substring(ATTRIBUTE.length()), value);
                }
            });
            return new SessionRecord(
                    id,
                    Instant.ofEpochMilli(number(hash, "_c")),
                    Instant.ofEpochMilli(number(hash, "_a")),
                    Duration.ofMillis(number(hash, "_i")),
                    Instant.ofEpochMilli(number(hash, "_d")),
                    attributes,
                    Optional.ofNullable(hash.get("_p")).map(p -> new String(p, StandardCharsets.UTF_8)),
                    number(hash, "_v"));
        } catch (RuntimeException e) {
            throw new SessionDataException(id, "unreadable session hash in Redis", e);
        }
    }

    private static long number(Map<String, byte[]> hash, String field) {
        byte[] v = hash.get(field);
        if (v == null) {
            throw new IllegalArgumentException("field " + field + " is missing");
        }
        return Long.parseLong(new String(v, StandardCharsets.US_ASCII));
    }

    private String key(SessionId id) {
        return prefix + "s:{" + id.value() + "}";
    }

    private String indexKey(String principal) {
        return prefix + "p:{" + principal + "}";
    }

    /** A flat list of field names and values, as HGETALL in a script answers, as a map. */
    private static Map<String, byte[]> pairs(List<Object> flat) {
        Map<String, byte[]> hash = new HashMap<>();
        for (int i = 0; i + 1 < flat.size(); i += 2) {
            hash.put(new String((byte[]) flat.get(i), StandardCharsets.UTF_8), (byte[]) flat.get(i + 1));
        }
        return hash;
    }

    private static byte[] millis(Instant t) {
        return ascii(Long.toString(t.toEpochMilli()));
    }

    private void publish(SessionEvent.Type type, SessionId id, Optional<SessionRecord> last) {
        if (!listeners.isEmpty()) {
            listeners.publish(new SessionEvent(type, id, last));
        }
    }

    private static <T> T call(Supplier<T> command) {
        try {
            return command.get();
        } catch (RedisCommandExecutionException e) {
            if (isRefusal(e)) {
                throw new SessionException("Redis refused the command: " + e.getMessage(), e);
            }
            throw new SessionStoreUnavailableException("Redis could not serve the command: " + e.getMessage(), e);
        } catch (RedisException e) {
            throw new SessionStoreUnavailableException("Redis did not answer: " + e.getMessage(), e);
        }
    }

    /** Like {@link #call(Supplier)}, naming the session a refusal concerns. */
    private static <T> T call(SessionId id, Supplier<T> command) {
        try {
            return command.get();
        } catch (RedisCommandExecutionException e) {
            if (isRefusal(e)) {
                throw new SessionException(id, "Redis refused the command: " + e.getMessage(), e);
            }
            throw new SessionStoreUnavailableException("Redis could not serve the command: " + e.getMessage(), e);
        } catch (RedisException e) {
            throw new SessionStoreUnavailableException("Redis did not answer: " + e.getMessage(), e);
        }
    }

    /**
     * Whether Redis answered that the command itself cannot work, so retrying will not help: a
     * script's own refusal or runtime error, or a key of the wrong type. Other error answers
     * (LOADING, READONLY, OOM, CLUSTERDOWN, BUSY, ...) pass, and stay "unavailable" (503).
     */
    private static boolean isRefusal(RedisCommandExecutionException e) {
        String m = String.valueOf(e.getMessage());
        return m.startsWith("WRONGTYPE") || m.startsWith("ERR user_script:") || m.startsWith("ERR satchel ");
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    private static String redacted(String uri) {
        return uri.replaceAll("//[^@/]*@", "//***@"); // never log a password
    }

    /** A script this store runs by its digest. */
    private record Script(String source, String sha) {}

    private Script loadScript(String name) {
        String source = resource(name);
        return new Script(source, call(() -> redis.scriptLoad(source)));
    }

    private static String resource(String name) {
        try (InputStream in = RedisSessionStore.class.getResourceAsStream(name)) {
            if (in == null) {
                throw new IllegalStateException(name + " is missing from the jar");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Configures a {@link RedisSessionStore}. Not thread-safe. */
    public static final class Builder {
        private final String uri;
        private Clock clock = Clock.systemUTC();
        private String prefix = "satchel:";
        private Duration commandTimeout = DEFAULT_COMMAND_TIMEOUT;
        private boolean enableKeyspaceEvents;
        private int waitReplicas;
        private Duration waitTimeout = Duration.ofMillis(100);
        private int nearCacheEntries;
        private boolean validateNearCacheHits = true;

        private Builder(String uri) {
            if (uri == null
                    || !(uri.startsWith("redis://")
                            || uri.startsWith("rediss://")
                            || uri.startsWith("redis-sentinel://")
                            || uri.startsWith(CLUSTER_SCHEME))) {
                throw new IllegalArgumentException("not a Redis URI (redis://host:port,"
                        + " redis-sentinel://host:port,host:port#master or redis-cluster://host:port,host:port): "
                        + (uri == null ? null : redacted(uri)));
            }
            this.uri = uri;
        }

        /**
         * Makes every save wait until {@code replicas} replicas acknowledged it ({@code WAIT}), at
         * most {@code timeout}; a save that falls short fails with 503 although the master has it.
         * Costs a second round trip per save and holds the shared connection while replicas answer,
         * in exchange for not losing acknowledged writes when the master dies. Off (0) by default.
         */
        public Builder waitForReplicas(int replicas, Duration timeout) {
            if (replicas < 0 || timeout == null || timeout.isNegative() || timeout.isZero()) {
                throw new IllegalArgumentException("WAIT needs replicas >= 0 and a positive timeout");
            }
            this.waitReplicas = replicas;
            this.waitTimeout = timeout;
            return this;
        }

        /**
         * Keeps up to {@code maxEntries} sessions this node read, decoded, and serves them after
         * checking their version with one {@code HGET} (a few bytes instead of the whole hash):
         * never stale. Redis drops entries another client changed (CLIENT TRACKING over RESP3), so
         * they do not linger. Standalone and Sentinel only. Off by default.
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

        /** Prefix of every key (default {@code satchel:}), to share a database with other data. */
        public Builder keyPrefix(String prefix) {
            if (prefix == null || prefix.contains("{") || prefix.contains("}")) {
                throw new IllegalArgumentException("key prefix must not contain hash-tag braces: " + prefix);
            }
            this.prefix = prefix;
            return this;
        }

        /** How long a command may take before the request fails with 503 (default 2 s). */
        public Builder commandTimeout(Duration timeout) {
            if (timeout == null || timeout.isNegative() || timeout.isZero()) {
                throw new IllegalArgumentException("command timeout must be positive: " + timeout);
            }
            this.commandTimeout = timeout;
            return this;
        }

        /**
         * Turns on the server's expiry notifications ({@code CONFIG SET notify-keyspace-events Ex})
         * so EXPIRED events also fire for sessions nobody reads again. Off by default: changing a
         * shared server's configuration is the operator's call, and many managed services forbid
         * CONFIG. Without it, events still come if the server already publishes them.
         */
        public Builder enableKeyspaceEvents(boolean enable) {
            this.enableKeyspaceEvents = enable;
            return this;
        }

        /**
         * Connects and loads the save script.
         *
         * @throws SessionStoreUnavailableException if Redis cannot be reached
         */
        public RedisSessionStore build() {
            if (waitReplicas > 0 && waitTimeout.compareTo(commandTimeout) >= 0) {
                throw new IllegalArgumentException("the WAIT timeout (" + waitTimeout
                        + ") must be shorter than the command timeout (" + commandTimeout + ")");
            }
            return new RedisSessionStore(this);
        }
    }
}
