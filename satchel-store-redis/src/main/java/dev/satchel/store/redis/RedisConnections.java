package dev.satchel.store.redis;

import static dev.satchel.store.redis.RedisCalls.call;

import dev.satchel.core.SessionStoreUnavailableException;
import io.lettuce.core.AbstractRedisClient;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisException;
import io.lettuce.core.api.StatefulConnection;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.cluster.RedisClusterClient;
import io.lettuce.core.cluster.SlotHash;
import io.lettuce.core.cluster.api.StatefulRedisClusterConnection;
import io.lettuce.core.cluster.api.sync.RedisClusterCommands;
import io.lettuce.core.cluster.models.partitions.RedisClusterNode;
import io.lettuce.core.codec.ByteArrayCodec;
import io.lettuce.core.codec.RedisCodec;
import io.lettuce.core.codec.StringCodec;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import io.lettuce.core.resource.ClientResources;
import io.lettuce.core.resource.DefaultClientResources;
import io.lettuce.core.resource.Delay;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * The store's one multiplexed connection to Redis, whatever the {@link Topology}: the commands every
 * thread shares, the master a key's writes must go to (for {@code WAIT}), and pub/sub connections
 * for the expiry feed. Thread-safe.
 */
final class RedisConnections implements AutoCloseable {

    /** String keys and field names, byte values: attributes stay as the codec encoded them. */
    static final RedisCodec<String, byte[]> CODEC = RedisCodec.of(StringCodec.UTF8, ByteArrayCodec.INSTANCE);

    private final ClientResources resources;
    private final AbstractRedisClient client;
    private final StatefulConnection<String, byte[]> connection;
    private final RedisClusterCommands<String, byte[]> commands;
    private final Optional<StatefulRedisClusterConnection<String, byte[]>> cluster;
    private final boolean ownsClient;

    private RedisConnections(
            ClientResources resources,
            AbstractRedisClient client,
            StatefulConnection<String, byte[]> connection,
            RedisClusterCommands<String, byte[]> commands,
            Optional<StatefulRedisClusterConnection<String, byte[]>> cluster,
            boolean ownsClient) {
        this.resources = resources;
        this.client = client;
        this.connection = connection;
        this.commands = commands;
        this.cluster = cluster;
        this.ownsClient = ownsClient;
    }

    /**
     * Connects through an application's own client (its URI, TLS, credentials and threads), every
     * command of the store's connection still bounded by {@code timeout}. Closing leaves the
     * client running.
     *
     * @throws SessionStoreUnavailableException if Redis cannot be reached
     * @throws IllegalArgumentException if a {@code RedisClient} was made without a URI
     */
    static RedisConnections onClient(AbstractRedisClient client, Duration timeout) {
        try {
            if (client instanceof RedisClusterClient c) {
                StatefulRedisClusterConnection<String, byte[]> connection = c.connect(CODEC);
                connection.setTimeout(timeout);
                return new RedisConnections(
                        c.getResources(), c, connection, connection.sync(), Optional.of(connection), false);
            }
            StatefulRedisConnection<String, byte[]> connection = ((RedisClient) client).connect(CODEC);
            connection.setTimeout(timeout);
            return new RedisConnections(
                    client.getResources(), client, connection, connection.sync(), Optional.empty(), false);
        } catch (IllegalStateException e) {
            throw new IllegalArgumentException(
                    "the application's RedisClient has no URI to connect to: create it with one", e);
        } catch (RedisException e) {
            throw new SessionStoreUnavailableException(
                    "cannot connect to Redis through the application's client: " + e.getMessage() + rootCause(e), e);
        }
    }

    /**
     * Connects, every command and connect bounded by {@code timeout}, on {@code shared} resources'
     * threads if given, else on its own.
     *
     * @throws SessionStoreUnavailableException if Redis cannot be reached
     */
    static RedisConnections open(Topology topology, Duration timeout, Optional<ClientResources> shared) {
        // Lettuce's default reconnect backoff grows to 30 s; a failover takes seconds, so retry
        // at most every 500 ms and come back soon after the new master is up. An application's
        // event loops, executor and timer are handed over one by one: Lettuce then counts them as
        // shared and leaves them running when these resources shut down. (Its mutate() does
        // neither: it drops the event loops and would shut down the application's executor.)
        DefaultClientResources.Builder builder = DefaultClientResources.builder();
        shared.ifPresent(app -> builder.eventLoopGroupProvider(app.eventLoopGroupProvider())
                .eventExecutorGroup(app.eventExecutorGroup())
                .timer(app.timer()));
        ClientResources resources = builder.reconnectDelay(
                        Delay.exponential(Duration.ofMillis(5), Duration.ofMillis(500), 2, TimeUnit.MILLISECONDS))
                .build();
        if (topology.isCluster()) {
            RedisClusterClient client = RedisClusterClient.create(resources, topology.clusterSeeds(timeout));
            client.setOptions((io.lettuce.core.cluster.ClusterClientOptions) topology.clientOptions(timeout));
            StatefulRedisClusterConnection<String, byte[]> c =
                    connectOrFail(client, resources, () -> client.connect(CODEC), topology);
            return new RedisConnections(resources, client, c, c.sync(), Optional.of(c), true);
        }
        RedisClient client = RedisClient.create(resources, topology.redisUri(timeout));
        client.setOptions(topology.clientOptions(timeout));
        StatefulRedisConnection<String, byte[]> c =
                connectOrFail(client, resources, () -> client.connect(CODEC), topology);
        return new RedisConnections(resources, client, c, c.sync(), Optional.empty(), true);
    }

    private static <C extends StatefulConnection<String, byte[]>> C connectOrFail(
            AbstractRedisClient client, ClientResources resources, Supplier<C> connect, Topology topology) {
        try {
            return connect.get();
        } catch (RedisException e) {
            shutdown(client, resources);
            throw new SessionStoreUnavailableException(
                    "cannot connect to Redis at " + topology.redacted() + ": " + e.getMessage() + rootCause(e), e);
        }
    }

    /**
     * What lies under Lettuce's "Unable to connect": a refused password (WRONGPASS), a certificate
     * the client does not trust, a handshake the server refused.
     */
    private static String rootCause(Throwable e) {
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        return root == e ? "" : " (" + root.getMessage() + ")";
    }

    /** The shared commands; on Redis Cluster they are routed to each key's master. */
    RedisClusterCommands<String, byte[]> commands() {
        return commands;
    }

    boolean isCluster() {
        return cluster.isPresent();
    }

    /**
     * The commands of the one connection that serves {@code key}'s writes: WAIT counts the replicas
     * that acknowledged that connection's writes, so a script and its WAIT must share it. On one
     * server (or Sentinel's master) that is the shared connection.
     */
    RedisClusterCommands<String, byte[]> writerFor(String key) {
        if (cluster.isEmpty()) {
            return commands;
        }
        RedisClusterNode master = cluster.get().getPartitions().getMasterBySlot(SlotHash.getSlot(key));
        if (master == null) {
            throw new SessionStoreUnavailableException("no Redis Cluster master serves the slot of " + key, null);
        }
        return call(() -> cluster.get().getConnection(master.getNodeId()).sync());
    }

    /** Sets a server setting on every node: on Redis Cluster replicas too, since one may be promoted. */
    void configSetEverywhere(String parameter, String value) {
        if (cluster.isPresent()) {
            cluster.get().sync().all().commands().configSet(parameter, value);
        } else {
            commands.configSet(parameter, value);
        }
    }

    /** A new pub/sub connection; the caller closes it. */
    StatefulRedisPubSubConnection<String, String> connectPubSub() {
        return client instanceof RedisClusterClient c ? c.connectPubSub() : ((RedisClient) client).connectPubSub();
    }

    /** The client, for connection-state listeners. */
    AbstractRedisClient client() {
        return client;
    }

    /** The shared connection on one server or Sentinel's master; empty on Redis Cluster. */
    Optional<StatefulRedisConnection<String, byte[]>> single() {
        return cluster.isPresent()
                ? Optional.empty()
                : Optional.of((StatefulRedisConnection<String, byte[]>) connection);
    }

    @Override
    public void close() {
        connection.close();
        if (ownsClient) {
            shutdown(client, resources);
        }
    }

    private static void shutdown(AbstractRedisClient client, ClientResources resources) {
        client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
        resources.shutdown(0, 2, TimeUnit.SECONDS);
    }
}
