package dev.satchel.store.redis;

import dev.satchel.core.SessionId;
import io.lettuce.core.RedisException;
import io.lettuce.core.cluster.pubsub.StatefulRedisClusterPubSubConnection;
import io.lettuce.core.pubsub.RedisPubSubAdapter;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import java.util.Optional;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sessions Redis expired by TTL, when the server publishes such events ({@code
 * notify-keyspace-events} containing {@code E} and {@code x}), so sessions nobody reads again still
 * get their EXPIRED event. Redis sends {@code expired} only for a TTL deletion, and a read that
 * finds a session expired deletes it with {@code DEL}, so each expiry is reported once. Correctness
 * never depends on this feed: expiry is enforced on every read.
 */
final class ExpiryFeed implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ExpiryFeed.class);
    private static final String EXPIRED_EVENTS = "__keyevent@*__:expired";

    private final Optional<StatefulRedisPubSubConnection<String, String>> subscription;

    private ExpiryFeed(Optional<StatefulRedisPubSubConnection<String, String>> subscription) {
        this.subscription = subscription;
    }

    /**
     * Subscribes to the server's expiry events if it publishes them, turning them on first if
     * {@code enable}; otherwise a feed that reports nothing.
     */
    static ExpiryFeed subscribe(
            RedisConnections connections, HashLayout layout, boolean enable, Consumer<SessionId> expired) {
        try {
            if (enable) {
                connections.configSetEverywhere("notify-keyspace-events", "Ex");
            }
            String flags = connections
                    .commands()
                    .configGet("notify-keyspace-events")
                    .getOrDefault("notify-keyspace-events", "");
            if (!publishesExpiries(flags)) {
                LOG.info(
                        "Redis publishes no expiry events (notify-keyspace-events='{}'); EXPIRED fires on read only",
                        flags);
                return new ExpiryFeed(Optional.empty());
            }
        } catch (RedisException e) {
            LOG.info("cannot read Redis's notify-keyspace-events ({}); EXPIRED fires on read only", e.getMessage());
            return new ExpiryFeed(Optional.empty());
        }
        StatefulRedisPubSubConnection<String, String> pubsub = connections.connectPubSub();
        pubsub.addListener(new RedisPubSubAdapter<>() {
            @Override
            public void message(String pattern, String channel, String key) {
                layout.idOf(key).ifPresent(expired);
            }
        });
        if (pubsub instanceof StatefulRedisClusterPubSubConnection<String, String> clusterPubSub) {
            // Each master publishes the expiries of its own slots.
            clusterPubSub.setNodeMessagePropagation(true);
            clusterPubSub.sync().upstream().commands().psubscribe(EXPIRED_EVENTS);
        } else {
            pubsub.sync().psubscribe(EXPIRED_EVENTS);
        }
        return new ExpiryFeed(Optional.of(pubsub));
    }

    /** Whether {@code notify-keyspace-events} flags include keyevent notifications of expiries. */
    static boolean publishesExpiries(String flags) {
        return flags.contains("E") && (flags.contains("x") || flags.contains("A"));
    }

    boolean isSubscribed() {
        return subscription.isPresent();
    }

    @Override
    public void close() {
        subscription.ifPresent(StatefulRedisPubSubConnection::close);
    }
}
